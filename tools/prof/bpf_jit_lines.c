// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_jit_lines PROG_ID - a loaded BPF program's JIT line table, for attributing perf
 * samples to source lines (tools/prof/decision-profile): one "FUNC addr len name" line
 * per function of the program (the program and its subprograms, as JITed), then one
 * "LINE addr file:line source" line per line-info record, from the kernel's
 * jited_line_info and the program's BTF. Needs root (CAP_SYS_ADMIN) and a program loaded
 * with BTF line info (clang -g).
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "bpf_jit_lines: %s: %s\n", what, strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), nl, njl, nk, nf, lrec, frec;
	char *end = NULL;
	long id;
	int fd;

	if (argc != 2 || (id = strtol(argv[1], &end, 10)) <= 0 || *end || id > (long)UINT32_MAX) {
		fprintf(stderr, "usage: bpf_jit_lines PROG_ID\n");
		return 2;
	}
	fd = bpf_prog_get_fd_by_id((__u32)id);
	if (fd < 0)
		return fail("program", errno);
	if (bpf_prog_get_info_by_fd(fd, &info, &len))
		return fail("program info", errno);
	nl = info.nr_line_info;
	njl = info.nr_jited_line_info;
	nk = info.nr_jited_ksyms;
	nf = info.nr_func_info;
	lrec = info.line_info_rec_size;
	frec = info.func_info_rec_size;
	if (!nl || !njl || !nk)
		return fail("no JIT line info (loaded without BTF, or not JITed)", ENODATA);

	char *li = calloc(nl, lrec), *fi = calloc(nf ? nf : 1, frec ? frec : 1);
	__u64 *jli = calloc(njl, sizeof(__u64)), *ksyms = calloc(nk, sizeof(__u64));
	__u32 *lens = calloc(nk, sizeof(__u32)), btf_id = info.btf_id;

	if (!li || !fi || !jli || !ksyms || !lens)
		return fail("memory", ENOMEM);
	memset(&info, 0, sizeof(info));
	info.nr_line_info = nl;
	info.line_info_rec_size = lrec;
	info.line_info = (__u64)(unsigned long)li;
	info.nr_jited_line_info = njl;
	info.jited_line_info_rec_size = sizeof(__u64);
	info.jited_line_info = (__u64)(unsigned long)jli;
	info.nr_jited_ksyms = nk;
	info.jited_ksyms = (__u64)(unsigned long)ksyms;
	info.nr_jited_func_lens = nk;
	info.jited_func_lens = (__u64)(unsigned long)lens;
	info.nr_func_info = nf;
	info.func_info_rec_size = frec;
	info.func_info = (__u64)(unsigned long)fi;
	len = sizeof(info);
	if (bpf_prog_get_info_by_fd(fd, &info, &len))
		return fail("program info", errno);

	struct btf *btf = btf__load_from_kernel_by_id(btf_id);

	if (!btf)
		return fail("program BTF", errno);
	for (__u32 k = 0; k < nk; k++) {
		const struct bpf_func_info *f = (const void *)(fi + (size_t)k * frec);
		const struct btf_type *t = k < nf ? btf__type_by_id(btf, f->type_id) : NULL;

		printf("FUNC %llx %u %s\n", (unsigned long long)ksyms[k], lens[k],
		       t ? btf__name_by_offset(btf, t->name_off) : "?");
	}
	for (__u32 i = 0; i < nl && i < njl; i++) {
		const struct bpf_line_info *l = (const void *)(li + (size_t)i * lrec);
		const char *file = btf__name_by_offset(btf, l->file_name_off);
		const char *src = btf__name_by_offset(btf, l->line_off);
		const char *base = file ? strrchr(file, '/') : NULL;

		printf("LINE %llx %s:%u %s\n", (unsigned long long)jli[i],
		       base ? base + 1 : (file ? file : "?"), BPF_LINE_INFO_LINE_NUM(l->line_col),
		       src ? src : "");
	}
	btf__free(btf);
	return 0;
}
