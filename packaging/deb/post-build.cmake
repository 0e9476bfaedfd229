# SPDX-License-Identifier: Apache-2.0
# CPACK_POST_BUILD_SCRIPTS: packaging/deb/fix-dbgsym on the .ddeb files.
set(ddebs)
foreach(f IN LISTS CPACK_PACKAGE_FILES)
  if(f MATCHES "\\.ddeb$")
    list(APPEND ddebs "${f}")
  endif()
endforeach()
if(ddebs)
  execute_process(COMMAND "${CPACK_AUTHSVC_SOURCE_DIR}/packaging/deb/fix-dbgsym" ${ddebs}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "packaging/deb/fix-dbgsym failed: ${rc}")
  endif()
endif()
