# SPDX-License-Identifier: Apache-2.0
# CPACK_PROJECT_CONFIG_FILE: settings that depend on the generator cpack
# runs. The .deb strips in its -dbgsym split, which needs the binaries
# unstripped; the RPM has no -debuginfo and strips here
# (packaging/CPackConfig.cmake).
if(CPACK_GENERATOR STREQUAL "RPM")
  set(CPACK_STRIP_FILES ON)
endif()
