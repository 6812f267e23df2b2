# Finds and version-checks the BPF toolchain and turns schedulers/*.bpf.c into libbpf
# skeleton headers.
#
#   add_bpf_skeleton(NAME SOURCE)  ->  target NAME_skel, header ${BPF_SKEL_DIR}/NAME.skel.h
#
# Pipeline: clang -target bpf (CO-RE, -g for BTF) -> bpftool gen object (links and strips
# DWARF, keeps BTF) -> bpftool gen skeleton. Source paths are mapped to "." so the generated
# headers are byte-identical from any checkout directory.

set(BPF_MIN_LIBBPF 1.4)
set(BPF_MIN_BPFTOOL 7.5)

find_program(BPF_CLANG NAMES clang-19 clang
             DOC "clang with the BPF target (Debian: clang-19)")
if(NOT BPF_CLANG)
  message(FATAL_ERROR "clang for BPF not found: install clang-19 (run ./install-deps.sh)")
endif()
execute_process(COMMAND ${BPF_CLANG} --version OUTPUT_VARIABLE _clang_ver)
string(REGEX MATCH "clang version ([0-9]+)" _m "${_clang_ver}")
set(_clang_major "${CMAKE_MATCH_1}")
if(NOT _clang_major OR _clang_major VERSION_LESS 16)
  message(FATAL_ERROR "${BPF_CLANG} is clang ${_clang_major}; BPF open-coded iterators need "
                      ">= 16: install clang-19 (run ./install-deps.sh)")
endif()

find_program(BPF_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin
             DOC "bpftool >= ${BPF_MIN_BPFTOOL} (Debian bookworm-backports: bpftool)")
if(NOT BPF_BPFTOOL)
  message(FATAL_ERROR "bpftool not found: install bpftool from bookworm-backports "
                      "(run ./install-deps.sh)")
endif()
execute_process(COMMAND ${BPF_BPFTOOL} version OUTPUT_VARIABLE _bpftool_ver
                RESULT_VARIABLE _rc ERROR_QUIET)
string(REGEX MATCH "v([0-9]+\\.[0-9]+)" _m "${_bpftool_ver}")
set(_bpftool_v "${CMAKE_MATCH_1}")
if(NOT _rc EQUAL 0 OR NOT _bpftool_v OR _bpftool_v VERSION_LESS BPF_MIN_BPFTOOL)
  message(FATAL_ERROR "bpftool ${_bpftool_v} is too old (need >= ${BPF_MIN_BPFTOOL}): "
                      "apt-get install -t bookworm-backports bpftool")
endif()

find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBPF libbpf)
if(NOT LIBBPF_FOUND OR LIBBPF_VERSION VERSION_LESS BPF_MIN_LIBBPF)
  message(FATAL_ERROR "libbpf ${LIBBPF_VERSION} found, need >= ${BPF_MIN_LIBBPF}: "
                      "apt-get install -t bookworm-backports libbpf-dev")
endif()
message(STATUS "BPF toolchain: ${BPF_CLANG} (clang ${_clang_major}), bpftool ${_bpftool_v}, "
               "libbpf ${LIBBPF_VERSION}")

set(BPF_SKEL_DIR ${CMAKE_BINARY_DIR}/skel)
file(MAKE_DIRECTORY ${BPF_SKEL_DIR})

set(BPF_CFLAGS -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror
    -fdebug-prefix-map=${CMAKE_SOURCE_DIR}=. -ffile-prefix-map=${CMAKE_SOURCE_DIR}=.
    -I${CMAKE_SOURCE_DIR}/include ${LIBBPF_CFLAGS}
    # uapi <linux/types.h> needs <asm/types.h>, which Debian keeps in the multiarch dir.
    -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})

# bpftool >= 7.5 writes `map->link = ...` for .struct_ops.link maps, a field that struct
# bpf_map_skeleton gained only in libbpf 1.5. With an older libbpf (bookworm-backports has
# 1.4.6) that line is dropped: it only serves the skeleton's auto-attach, and we attach
# struct_ops ourselves (bpf_map__attach_struct_ops) to pin the link.
set(BPF_SKEL_FIXUP ${CMAKE_COMMAND} -E true)
if(LIBBPF_VERSION VERSION_LESS 1.5)
  set(BPF_SKEL_FIXUP sed -i "/^\tmap->link = /d")
endif()

# add_bpf_object(NAME SOURCE OUTDIR): OUTDIR/NAME.bpf.o, target NAME_bpfobj.
function(add_bpf_object name src outdir)
  set(obj ${outdir}/${name}.bpf.o)
  file(GLOB _bpf_headers ${CMAKE_SOURCE_DIR}/include/mptcp_sched/bpf/*.h
       ${CMAKE_SOURCE_DIR}/include/mptcp_sched/sched_abi.h ${CMAKE_SOURCE_DIR}/include/mptcp_sched/sched_model.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${outdir}
    COMMAND ${BPF_CLANG} ${BPF_CFLAGS} -c ${src} -o ${obj}.tmp
    COMMAND ${BPF_BPFTOOL} gen object ${obj} ${obj}.tmp
    COMMAND ${CMAKE_COMMAND} -E remove ${obj}.tmp
    DEPENDS ${src} ${_bpf_headers}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    COMMENT "BPF ${name}: clang -> bpftool gen object"
    VERBATIM)
  add_custom_target(${name}_bpfobj DEPENDS ${obj})
endfunction()

# add_bpf_skeleton(NAME SOURCE): ${BPF_SKEL_DIR}/NAME.skel.h (and NAME.bpf.o), target NAME_skel.
function(add_bpf_skeleton name src)
  add_bpf_object(${name} ${src} ${BPF_SKEL_DIR})
  set(obj ${BPF_SKEL_DIR}/${name}.bpf.o)
  set(skel ${BPF_SKEL_DIR}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPF_BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${BPF_SKEL_FIXUP} ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "BPF ${name}: skeleton"
    VERBATIM)
  add_custom_target(${name}_skel DEPENDS ${skel})
endfunction()
