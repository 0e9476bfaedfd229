# SPDX-License-Identifier: Apache-2.0
# CPACK_PROJECT_CONFIG_FILE: settings that depend on the generator cpack
# runs. The .deb strips in its -dbgsym split, which needs the binaries
# unstripped. The RPM strips here and packs two more components,
# serverdbg and socialdbg: authsvc-debuginfo and authsvc-social-debuginfo,
# whose install step takes the debug information from the unstripped files
# (packaging/rpm/debuginfo.cmake, packaging/CPackConfig.cmake).
if(CPACK_GENERATOR STREQUAL "RPM")
  set(CPACK_STRIP_FILES ON)
  list(APPEND CPACK_COMPONENTS_ALL serverdbg socialdbg)
endif()
