// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the initramfs vmtest/fetch-kernel builds for stock Debian kernels, which have
 * virtio, 9p and the virtio console as modules: load the modules listed in /modules.list
 * (dependencies first, resolved on the host), point kernel.modprobe at the guest's modprobe
 * wrapper (the guest root is the host's, whose /lib/modules lacks this kernel's modules),
 * mount the host root over 9p exactly as a built-in kernel would (tag /dev/root, the
 * command line's rootflags=, read-only), move it to / and exec the command line's init=
 * (vmtest/guest-init). Any failure is printed on the console and powers the VM off, so the
 * host side sees "the VM stopped before the command finished" instead of a hang.
 * Statically linked, no libraries: built by fetch-kernel with the host's gcc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vmtest-initramfs: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    sync();
    reboot(RB_POWER_OFF);
    _exit(1);
}

/* Value of KEY= on the kernel command line, or NULL. */
static char *param(const char *cmdline, const char *key)
{
    size_t n = strlen(key);
    const char *p = cmdline;
    while ((p = strstr(p, key)) != NULL) {
        if ((p == cmdline || p[-1] == ' ') && p[n] == '=') {
            const char *v = p + n + 1;
            size_t len = strcspn(v, " \n");
            return strndup(v, len);
        }
        p += n;
    }
    return NULL;
}

int main(void)
{
    mkdir("/dev", 0755);
    mkdir("/proc", 0755);
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) == 0) {
        int fd = open("/dev/console", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
    }
    if (mount("proc", "/proc", "proc", 0, NULL) != 0)
        die("mounting /proc failed: %m");

    static char cmdline[8192];
    int cfd = open("/proc/cmdline", O_RDONLY);
    ssize_t got = cfd >= 0 ? read(cfd, cmdline, sizeof(cmdline) - 1) : -1;
    if (got <= 0)
        die("cannot read /proc/cmdline: %m");
    cmdline[got] = 0;

    FILE *list = fopen("/modules.list", "r");
    if (!list)
        die("no /modules.list: %m");
    char line[512];
    while (fgets(line, sizeof(line), list)) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0])
            continue;
        int fd = open(line, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            die("cannot open module %s: %m", line);
        if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
            die("loading module %s failed: %m", line);
        close(fd);
    }
    fclose(list);

    char *modprobe = param(cmdline, "vmtest.modprobe");
    if (modprobe) {
        int fd = open("/proc/sys/kernel/modprobe", O_WRONLY);
        if (fd < 0 || write(fd, modprobe, strlen(modprobe)) < 0)
            die("cannot set kernel.modprobe to %s: %m", modprobe);
        close(fd);
    }

    char *flags = param(cmdline, "rootflags");
    char *init = param(cmdline, "init");
    if (!init)
        die("no init= on the kernel command line");
    mkdir("/newroot", 0755);
    if (mount("/dev/root", "/newroot", "9p", MS_RDONLY, flags ? flags : "trans=virtio") != 0)
        die("mounting the 9p root (tag /dev/root, %s) failed: %m", flags ? flags : "");
    umount2("/proc", MNT_DETACH);
    umount2("/dev", MNT_DETACH);
    if (chdir("/newroot") != 0 || mount(".", "/", NULL, MS_MOVE, NULL) != 0 || chroot(".") != 0 ||
        chdir("/") != 0)
        die("switching to the 9p root failed: %m");
    execl(init, init, (char *)NULL);
    die("exec %s failed: %m", init);
    return 1;
}
