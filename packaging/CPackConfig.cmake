# .deb and .rpm packages: `cpack -G DEB` / `cpack -G RPM` in the build tree.
# Components: the server with its plugins, and -dev with the plugin SDK.
install(FILES ${CMAKE_SOURCE_DIR}/packaging/authsvc.service
        DESTINATION lib/systemd/system COMPONENT server)

set(CPACK_PACKAGE_NAME authsvc)
set(CPACK_PACKAGE_VENDOR "authsvc")
set(CPACK_PACKAGE_CONTACT "authsvc maintainers <authsvc@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Self-hosted authentication server with strategy plugins")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Configure with -DCMAKE_INSTALL_PREFIX=/usr: the plugin and SQL paths are compiled in.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/packaging/postinst)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${CMAKE_SOURCE_DIR}/packaging/postinst)
include(CPack)
