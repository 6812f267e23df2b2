// SPDX-License-Identifier: GPL-2.0
// The same plain-TCP client as plain_client.py in C, linked statically (the case that
// LD_PRELOAD wrappers cannot reach): socket(AF_INET, SOCK_STREAM, 0), talk to
// `mptcp-sched demo server`, print {"protocol": N, "local_port": P, "server": ANSWER}, then
// keep the connection open for HOLD seconds, or, when HOLD is a path (starts with '/'),
// until that file exists (at most 120 s), as plain_client.py does.
//   usage: static_client ADDR PORT [HOLD]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		char c;
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = 0;
	return 0;
}

int main(int argc, char **argv)
{
	static const char hello[] = "mptcp-sched-demo 1\n";
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	char greeting[256], answer[65536];
	int fd, proto = 0;

	if (argc < 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: static_client ADDR PORT [HOLD]\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("static_client: connect");
		return 1;
	}
	if (read_line(fd, greeting, sizeof(greeting)) != 0 ||
	    write(fd, hello, sizeof(hello) - 1) != (ssize_t)(sizeof(hello) - 1) ||
	    read_line(fd, answer, sizeof(answer)) != 0) {
		fprintf(stderr, "static_client: no answer from the demo server\n");
		return 1;
	}
	len = sizeof(proto);
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len);
	len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	printf("{\"protocol\": %d, \"local_port\": %d, \"server\": %s}\n", proto, ntohs(sa.sin_port),
	       answer);
	fflush(stdout);
	if (argc > 3 && argv[3][0] == '/') {
		for (int i = 0; i < 2400 && access(argv[3], F_OK) != 0; i++)
			usleep(50000);
	} else if (argc > 3) {
		usleep((useconds_t)(atof(argv[3]) * 1e6));
	}
	close(fd);
	return 0;
}
