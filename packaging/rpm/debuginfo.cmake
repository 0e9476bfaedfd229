# SPDX-License-Identifier: Apache-2.0
# The install step of the RPM -debuginfo components (packaging/CPackConfig.cmake),
# run by cpack into the component's staging DESTDIR. It installs component
# AUTHSVC_DEBUG_OF unstripped into a scratch directory, and for every ELF
# file there writes its debug information (objcopy --only-keep-debug, debug
# sections compressed) to
#   $DESTDIR/usr/lib/debug/.build-id/<first 2 hex digits>/<rest>.debug
# the layout of Fedora and RHEL: gdb and elfutils find it by the build id of
# the stripped file in the main package (CPACK_STRIP_FILES), and rpm makes
# each a "debuginfo(build-id) = ..." Provides.
#
# Set by the install(CODE) that includes this: AUTHSVC_DEBUG_OF (component),
# AUTHSVC_DEBUG_BUILD_DIR, AUTHSVC_DEBUG_CMAKE, AUTHSVC_DEBUG_OBJCOPY,
# AUTHSVC_DEBUG_READELF.
set(scratch "${AUTHSVC_DEBUG_BUILD_DIR}/_CPack_Packages/debuginfo-${AUTHSVC_DEBUG_OF}")
file(REMOVE_RECURSE "${scratch}")
# cmake --install without --strip: the files as built, the same code and
# build id as the stripped copies cpack packs.
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env "DESTDIR=${scratch}"
          ${AUTHSVC_DEBUG_CMAKE} --install "${AUTHSVC_DEBUG_BUILD_DIR}"
          --component ${AUTHSVC_DEBUG_OF}
  OUTPUT_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "debuginfo: installing component ${AUTHSVC_DEBUG_OF} failed: ${rc}")
endif()

set(debug_root "$ENV{DESTDIR}/usr/lib/debug/.build-id")
set(count 0)
file(GLOB_RECURSE files LIST_DIRECTORIES false "${scratch}/*")
list(SORT files)
foreach(f IN LISTS files)
  if(IS_SYMLINK "${f}")
    continue()
  endif()
  file(READ "${f}" magic LIMIT 4 HEX)
  if(NOT magic STREQUAL "7f454c46")
    continue()
  endif()
  execute_process(COMMAND ${AUTHSVC_DEBUG_READELF} -n "${f}"
                  OUTPUT_VARIABLE notes RESULT_VARIABLE rc)
  string(REGEX MATCH "Build ID: ([0-9a-f][0-9a-f])([0-9a-f]+)" id "${notes}")
  if(NOT rc EQUAL 0 OR NOT id)
    message(FATAL_ERROR "debuginfo: ${f} has no build id (link with --build-id)")
  endif()
  set(dir "${debug_root}/${CMAKE_MATCH_1}")
  set(out "${dir}/${CMAKE_MATCH_2}.debug")
  execute_process(COMMAND ${AUTHSVC_DEBUG_READELF} -SW "${f}" OUTPUT_VARIABLE sections)
  if(NOT sections MATCHES "\\.debug_info")
    message(WARNING "debuginfo: ${f} was built without -g: its .debug holds symbols only "
                    "(configure with -DCMAKE_BUILD_TYPE=RelWithDebInfo)")
  endif()
  file(MAKE_DIRECTORY "${dir}")
  execute_process(COMMAND ${AUTHSVC_DEBUG_OBJCOPY} --only-keep-debug
                          --compress-debug-sections "${f}" "${out}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "debuginfo: objcopy --only-keep-debug ${f} failed: ${rc}")
  endif()
  file(CHMOD "${out}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  math(EXPR count "${count} + 1")
endforeach()
file(REMOVE_RECURSE "${scratch}")
if(count EQUAL 0)
  message(FATAL_ERROR "debuginfo: component ${AUTHSVC_DEBUG_OF} installs no ELF file")
endif()
