# CPACK_PROJECT_CONFIG_FILE: settings that depend on the generator cpack
# runs. The .deb strips in its -dbgsym split; the RPM strips here when it
# makes no -debuginfo package (packaging/CPackConfig.cmake).
if(CPACK_GENERATOR STREQUAL "RPM" AND CPACK_AUTHSVC_RPM_STRIP)
  set(CPACK_STRIP_FILES ON)
endif()
