/*
 * The two glibc functions newer than 2.34 that the statically linked C++
 * runtime calls, for the portable Node addon and Python extension
 * (DBSAFE_PORTABLE, cmake/portable.cmake). Debian 12's GCC 12 was built on
 * glibc 2.36, so libgcc_eh.a's unwinder calls _dl_find_object (GLIBC_2.35)
 * and libstdc++.a's std::random_device calls arc4random (GLIBC_2.36); a module
 * with either reference fails to load on Amazon Linux 2023 (glibc 2.34),
 * Vercel's build image. The link wraps both (-Wl,--wrap=...): these
 * definitions replace them, built on functions glibc has had for years.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

int __wrap__dl_find_object(void *pc, struct dl_find_object *result);
uint32_t __wrap_arc4random(void);

struct find_request {
  uintptr_t pc;
  struct dl_find_object *result;
};

/* One loaded object: when one of its PT_LOAD segments holds the address,
 * report the object's extent and its PT_GNU_EH_FRAME, as _dl_find_object
 * does. */
static int find_object(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  struct find_request *request = data;
  uintptr_t low = UINTPTR_MAX, high = 0;
  const void *eh_frame = NULL;
  int contains = 0;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + segment->p_vaddr;
    if (segment->p_type == PT_LOAD) {
      uintptr_t end = start + segment->p_memsz;
      if (start < low) low = start;
      if (end > high) high = end;
      if (request->pc >= start && request->pc < end) contains = 1;
    } else if (segment->p_type == PT_GNU_EH_FRAME) {
      eh_frame = (const void *)start;
    }
  }
  if (!contains) return 0;
  memset(request->result, 0, sizeof *request->result);
  request->result->dlfo_map_start = (void *)low;
  request->result->dlfo_map_end = (void *)high;
  request->result->dlfo_eh_frame = (void *)eh_frame;
  Dl_info symbol;
  struct link_map *map = NULL;
  if (dladdr1((void *)request->pc, &symbol, (void **)&map, RTLD_DL_LINKMAP) != 0)
    request->result->dlfo_link_map = map;
  return 1;
}

/* The unwinder's question, "which object holds this return address and where
 * is its unwind table?", answered with dl_iterate_phdr, which is how libgcc
 * answered it before glibc 2.35. Slower than glibc's lock-free lookup, but
 * only thrown exceptions pay for it. */
int __wrap__dl_find_object(void *pc, struct dl_find_object *result) {
  struct find_request request = {(uintptr_t)pc, result};
  return dl_iterate_phdr(find_object, &request) != 0 ? 0 : -1;
}

/* arc4random never fails: the kernel's random source through getrandom
 * (glibc 2.25), then /dev/urandom, as glibc's own arc4random does, and abort
 * when neither works (std::random_device has no way to report it). */
uint32_t __wrap_arc4random(void) {
  uint32_t value;
  unsigned char *out = (unsigned char *)&value;
  size_t filled = 0;
  while (filled < sizeof value) {
    ssize_t got = getrandom(out + filled, sizeof value - filled, 0);
    if (got > 0) {
      filled += (size_t)got;
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  if (filled == sizeof value) return value;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    while (filled < sizeof value) {
      ssize_t got = read(fd, out + filled, sizeof value - filled);
      if (got > 0) {
        filled += (size_t)got;
      } else if (got < 0 && errno == EINTR) {
        continue;
      } else {
        break;
      }
    }
    close(fd);
  }
  if (filled != sizeof value) abort();
  return value;
}
