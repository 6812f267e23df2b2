# Installed with mptcp-sched's CMake package (find_package(mptcp-sched)):
#
#   mptcp_sched_add_bpf_scheduler(NAME SOURCE)  ->  ${CMAKE_CURRENT_BINARY_DIR}/NAME.bpf.o,
#                                                   target NAME_bpf (part of `all`)
#
# compiles a BPF scheduler against the installed SDK (MPTCP_SCHED_INCLUDE_DIR/mptcp_sched/bpf,
# its vmlinux.h included) with clang >= 16; load the result with `mptcp-sched load`.
find_program(MPTCP_SCHED_BPF_CLANG NAMES clang-19 clang DOC "clang with the BPF target")
if(NOT MPTCP_SCHED_BPF_CLANG)
  message(FATAL_ERROR "clang for BPF not found: install clang-19")
endif()
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(MPTCP_SCHED_LIBBPF QUIET libbpf)
endif()
# <linux/types.h> needs <asm/types.h>, which Debian keeps in the multiarch directory.
if(CMAKE_LIBRARY_ARCHITECTURE)
  set(_ms_multiarch ${CMAKE_LIBRARY_ARCHITECTURE})
else()
  set(_ms_multiarch ${CMAKE_SYSTEM_PROCESSOR}-linux-gnu)
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(_ms_arch arm64)
else()
  set(_ms_arch x86)
endif()

function(mptcp_sched_add_bpf_scheduler name src)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(flags -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_${_ms_arch} -Wall -Werror
      -I${MPTCP_SCHED_INCLUDE_DIR} ${MPTCP_SCHED_LIBBPF_CFLAGS})
  if(_ms_multiarch)
    list(APPEND flags -idirafter /usr/include/${_ms_multiarch})
  endif()
  file(GLOB _sdk ${MPTCP_SCHED_INCLUDE_DIR}/mptcp_sched/bpf/*.h
       ${MPTCP_SCHED_INCLUDE_DIR}/mptcp_sched/sched_*.h)
  add_custom_command(OUTPUT ${obj}
    COMMAND ${MPTCP_SCHED_BPF_CLANG} ${flags} -c ${src} -o ${obj}
    DEPENDS ${src} ${_sdk}
    COMMENT "BPF scheduler ${name}"
    VERBATIM)
  add_custom_target(${name}_bpf ALL DEPENDS ${obj})
endfunction()
