# SPDX-License-Identifier: Apache-2.0
# Packages: `cpack -G DEB` / `cpack -G RPM` in a build tree configured with
# -DCMAKE_INSTALL_PREFIX=/usr (docs/operator-guide.md#packages).
#
# CPack, not a debian/ directory: it builds from the same install rules as
# `cmake --install`, splits them by COMPONENT into the three packages, makes
# the -dbgsym .ddeb packages with stripped binaries itself, and
# takes our maintainer scripts and conffiles list as they are; what
# debhelper would add (changelog.Debian.gz, copyright, the systemd snippets
# of the scripts) is a handful of files here. lintian finds these packages
# clean (tests/package/run, the CI step).
#
# Packages (components):
#   authsvc         server: authsvc, authsvc-admin, core strategy plugins,
#                   SQL migrations, configuration, systemd unit
#   authsvc-dev     dev: the plugin SDK header and authsvc-plugin.pc
#   authsvc-social  social: the social login provider plugins
#                   (AUTHSVC_SOCIAL_PLUGINS in CMakeLists.txt)
# plus authsvc-dbgsym and authsvc-social-dbgsym (.ddeb) or, for the RPM,
# authsvc-debuginfo and authsvc-social-debuginfo (components serverdbg and
# socialdbg): the debug information of the stripped ELF files.

# The project has no published address or site yet: placeholders under the
# reserved .example domain until whoever publishes packages sets theirs.
set(AUTHSVC_PACKAGE_MAINTAINER "authsvc maintainers <maintainers@authsvc.example>"
    CACHE STRING "Maintainer field of the packages: name <address>")
set(AUTHSVC_PACKAGE_HOMEPAGE "https://authsvc.example/"
    CACHE STRING "Homepage field of the packages")
set(AUTHSVC_PACKAGE_RELEASE 1 CACHE STRING "Debian revision / RPM release")
set(AUTHSVC_DEB_VERSION "${PROJECT_VERSION}-${AUTHSVC_PACKAGE_RELEASE}")

# One prefix for everything: the paths compiled into the binaries
# (CMakeLists.txt), the unit, the maintainer scripts and the package layout
# all come from GNUInstallDirs (sysconfdir /etc and localstatedir /var when
# the prefix is /usr).
set(AUTHSVC_CONF_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/authsvc")
set(AUTHSVC_CONFIG_FILE "${AUTHSVC_CONF_DIR}/authsvc.conf")
set(AUTHSVC_ENV_FILE "${AUTHSVC_CONF_DIR}/authsvc.env")
set(AUTHSVC_STATE_DIR "${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/authsvc")

# systemd reads units from /lib/systemd/system (Debian 12 ships them there)
# and /usr/local/lib/systemd/system, not from any prefix.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(authsvc_systemd_dir systemd systemdsystemunitdir)
  if(NOT authsvc_systemd_dir)
    set(authsvc_systemd_dir /lib/systemd/system)
  endif()
else()
  set(authsvc_systemd_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(AUTHSVC_SYSTEMD_UNIT_DIR "${authsvc_systemd_dir}"
    CACHE PATH "Where the systemd unit is installed")

set(pkg_out ${CMAKE_BINARY_DIR}/packaging)
configure_file(${CMAKE_SOURCE_DIR}/packaging/authsvc.service.in ${pkg_out}/authsvc.service @ONLY)
foreach(script postinst prerm postrm conffiles)
  configure_file(${CMAKE_SOURCE_DIR}/packaging/deb/${script}.in ${pkg_out}/deb/${script} @ONLY)
endforeach()
foreach(script pre post preun postun)
  configure_file(${CMAKE_SOURCE_DIR}/packaging/rpm/${script}.in ${pkg_out}/rpm/${script} @ONLY)
endforeach()
configure_file(${CMAKE_SOURCE_DIR}/packaging/copyright ${pkg_out}/copyright @ONLY)

# changelog.Debian dated by SOURCE_DATE_EPOCH when set (reproducible builds),
# and both changelogs gzip -9n as Debian policy asks.
string(TIMESTAMP AUTHSVC_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_SOURCE_DIR}/packaging/changelog.Debian.in ${pkg_out}/changelog.Debian @ONLY)
find_program(AUTHSVC_GZIP gzip)
if(AUTHSVC_GZIP)
  add_custom_command(OUTPUT ${pkg_out}/changelog.Debian.gz ${pkg_out}/changelog.gz
    COMMAND ${AUTHSVC_GZIP} -9nc ${pkg_out}/changelog.Debian > ${pkg_out}/changelog.Debian.gz
    COMMAND ${AUTHSVC_GZIP} -9nc ${CMAKE_SOURCE_DIR}/CHANGES > ${pkg_out}/changelog.gz
    DEPENDS ${pkg_out}/changelog.Debian ${CMAKE_SOURCE_DIR}/CHANGES VERBATIM)
  add_custom_target(authsvc_changelogs ALL
                    DEPENDS ${pkg_out}/changelog.Debian.gz ${pkg_out}/changelog.gz)
endif()

install(FILES ${pkg_out}/authsvc.service DESTINATION ${AUTHSVC_SYSTEMD_UNIT_DIR}
        COMPONENT server)
# The environment file for the *_env keys: an example without secrets, a
# conffile readable by root only.
install(FILES ${CMAKE_SOURCE_DIR}/packaging/authsvc.env DESTINATION ${AUTHSVC_CONF_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE COMPONENT server)
# copyright (DEP-5) and the changelogs in every package's doc directory;
# the lintian overrides (each with its reason) of the packages that have any.
foreach(comp server dev social)
  if(comp STREQUAL server)
    set(pkg authsvc)
  else()
    set(pkg authsvc-${comp})
  endif()
  install(FILES ${pkg_out}/copyright DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${pkg}
          COMPONENT ${comp})
  if(AUTHSVC_GZIP)
    install(FILES ${pkg_out}/changelog.Debian.gz ${pkg_out}/changelog.gz
            DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${pkg} COMPONENT ${comp})
  endif()
  if(EXISTS ${CMAKE_SOURCE_DIR}/packaging/lintian/${pkg})
    file(READ ${CMAKE_SOURCE_DIR}/packaging/lintian/${pkg} overrides)
    # Until the man pages (docs/man) are in the tree.
    if(comp STREQUAL server AND NOT EXISTS ${CMAKE_SOURCE_DIR}/docs/man)
      string(APPEND overrides "# authsvc(8) and authsvc-admin(8) are not written yet.\n"
             "authsvc: no-manual-page [usr/sbin/authsvc]\n"
             "authsvc: no-manual-page [usr/sbin/authsvc-admin]\n")
    endif()
    file(WRITE ${pkg_out}/lintian/${pkg} "${overrides}")
    install(FILES ${pkg_out}/lintian/${pkg}
            DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides COMPONENT ${comp})
  endif()
endforeach()

# Our man pages (docs/man, installed by their own rules) compressed as Debian
# policy asks (gzip -9n); runs last, after every other install rule.
install(CODE "
  file(GLOB_RECURSE authsvc_man LIST_DIRECTORIES false
       \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_MANDIR}/man*/authsvc*\")
  foreach(f IN LISTS authsvc_man)
    if(NOT f MATCHES \"[.]gz$\" AND NOT IS_SYMLINK \"\${f}\")
      execute_process(COMMAND gzip -9nf \"\${f}\")
    endif()
  endforeach()" COMPONENT server)

set(CPACK_PACKAGE_NAME authsvc)
set(CPACK_PACKAGE_VENDOR "The authsvc authors")
set(CPACK_PACKAGE_CONTACT "${AUTHSVC_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${AUTHSVC_PACKAGE_HOMEPAGE}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_COMPONENTS_ALL server dev social)
# Not CPACK_STRIP_FILES: the -dbgsym split strips, after taking the debug info.

set(authsvc_desc_server "self-hosted authentication server with strategy plugins
authsvc serves the HTTP API of the LoopBack authentication-service
(login, MFA, tokens, password reset, sign-up, login activity) from a small
libevent server, and keeps codes, tokens and revocations in PostgreSQL.
.
This package holds the server, the authsvc-admin command, the core
strategy plugins (password, one-time codes, TOTP, passwordless), the
schema migrations, the configuration and a hardened systemd unit.")
set(authsvc_desc_dev "plugin SDK for the authsvc authentication server
The header authsvc/plugin.h (the versioned plugin ABI) and the pkg-config
file authsvc-plugin.pc, to build strategy plugins for authsvc out of tree:
  cc $(pkg-config --cflags --libs authsvc-plugin) -shared -fPIC ...")
set(authsvc_desc_social "social login provider plugins for authsvc
Plugins that let authsvc users log in with an outside identity provider:
Google, Microsoft Azure AD, Keycloak, Amazon Cognito, AuthA, Facebook,
Instagram and Sign in with Apple (OpenID Connect and OAuth 2.0).")

# .deb
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${AUTHSVC_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${AUTHSVC_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${AUTHSVC_PACKAGE_HOMEPAGE}")
set(CPACK_DEBIAN_PACKAGE_SOURCE authsvc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME authsvc)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SERVER_DESCRIPTION "${authsvc_desc_server}")
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_SUGGESTS "authsvc-social, postgresql")
set(CPACK_DEBIAN_SERVER_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${pkg_out}/deb/postinst ${pkg_out}/deb/prerm ${pkg_out}/deb/postrm ${pkg_out}/deb/conffiles)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME authsvc-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION "${authsvc_desc_dev}")
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libjansson-dev, pkg-config | pkgconf")
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_SOCIAL_PACKAGE_NAME authsvc-social)
set(CPACK_DEBIAN_SOCIAL_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SOCIAL_DESCRIPTION "${authsvc_desc_social}")
set(CPACK_DEBIAN_SOCIAL_PACKAGE_DEPENDS "authsvc (= ${AUTHSVC_DEB_VERSION})")
set(CPACK_DEBIAN_SOCIAL_DEBUGINFO_PACKAGE ON)
set(CPACK_AUTHSVC_SOURCE_DIR ${CMAKE_SOURCE_DIR})
set(CPACK_POST_BUILD_SCRIPTS ${CMAKE_SOURCE_DIR}/packaging/deb/post-build.cmake)

# .rpm: one package per component too, -debuginfo where rpmbuild can make it.
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE ${AUTHSVC_PACKAGE_RELEASE})
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_PACKAGE_URL "${AUTHSVC_PACKAGE_HOMEPAGE}")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_DEV_PACKAGE_GROUP "Development/Libraries")
set(CPACK_PACKAGE_RELOCATABLE OFF)
# The RPMs are stripped (CPACK_STRIP_FILES, packaging/cpack-generator.cmake)
# and their debug information is in authsvc-debuginfo and
# authsvc-social-debuginfo, made by components of their own (serverdbg,
# socialdbg, packed by the RPM generator only) whose install step is
# packaging/rpm/debuginfo.cmake: /usr/lib/debug/.build-id/xx/yyyy.debug
# for every ELF file of the component, as Fedora and RHEL lay them out.
# Not CPACK_RPM_DEBUGINFO_PACKAGE: CPack's path through rpmbuild's
# find-debuginfo left the binaries unstripped and the -debuginfo packages
# empty with Debian's rpm 4.18 (it extracts nothing in CPack's moved
# buildroot).
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_SOURCE_DIR}/packaging/cpack-generator.cmake)
foreach(comp server social)
  # EXCLUDE_FROM_ALL: a plain `cmake --install` installs no debug files.
  install(CODE "
    set(AUTHSVC_DEBUG_OF ${comp})
    set(AUTHSVC_DEBUG_BUILD_DIR \"${CMAKE_BINARY_DIR}\")
    set(AUTHSVC_DEBUG_CMAKE \"${CMAKE_COMMAND}\")
    set(AUTHSVC_DEBUG_OBJCOPY \"${CMAKE_OBJCOPY}\")
    set(AUTHSVC_DEBUG_READELF \"${CMAKE_READELF}\")
    include(\"${CMAKE_SOURCE_DIR}/packaging/rpm/debuginfo.cmake\")"
    COMPONENT ${comp}dbg EXCLUDE_FROM_ALL)
endforeach()
set(CPACK_RPM_SERVER_PACKAGE_NAME authsvc)
set(CPACK_RPM_SERVER_PACKAGE_SUMMARY "Self-hosted authentication server with strategy plugins")
set(CPACK_RPM_SERVER_PACKAGE_DESCRIPTION "${authsvc_desc_server}")
set(CPACK_RPM_SERVER_PACKAGE_REQUIRES_PRE "shadow-utils")
set(CPACK_RPM_SERVER_PRE_INSTALL_SCRIPT_FILE ${pkg_out}/rpm/pre)
set(CPACK_RPM_SERVER_POST_INSTALL_SCRIPT_FILE ${pkg_out}/rpm/post)
set(CPACK_RPM_SERVER_PRE_UNINSTALL_SCRIPT_FILE ${pkg_out}/rpm/preun)
set(CPACK_RPM_SERVER_POST_UNINSTALL_SCRIPT_FILE ${pkg_out}/rpm/postun)
set(CPACK_RPM_SERVER_USER_FILELIST
    "%config(noreplace) %attr(0640,root,authsvc) ${AUTHSVC_CONFIG_FILE}"
    "%config(noreplace) %attr(0600,root,root) ${AUTHSVC_ENV_FILE}"
    "%dir ${AUTHSVC_CONF_DIR}")
set(CPACK_RPM_DEV_PACKAGE_NAME authsvc-devel)
set(CPACK_RPM_DEV_PACKAGE_SUMMARY "Plugin SDK for the authsvc authentication server")
set(CPACK_RPM_DEV_PACKAGE_DESCRIPTION "${authsvc_desc_dev}")
set(CPACK_RPM_DEV_PACKAGE_REQUIRES "jansson-devel")
set(CPACK_RPM_SOCIAL_PACKAGE_NAME authsvc-social)
set(CPACK_RPM_SOCIAL_PACKAGE_SUMMARY "Social login provider plugins for authsvc")
set(CPACK_RPM_SOCIAL_PACKAGE_DESCRIPTION "${authsvc_desc_social}")
set(CPACK_RPM_SOCIAL_PACKAGE_REQUIRES "authsvc = ${PROJECT_VERSION}-${AUTHSVC_PACKAGE_RELEASE}")
foreach(comp server social)
  if(comp STREQUAL server)
    set(pkg authsvc)
  else()
    set(pkg authsvc-${comp})
  endif()
  string(TOUPPER ${comp}dbg c)
  set(CPACK_RPM_${c}_PACKAGE_NAME ${pkg}-debuginfo)
  set(CPACK_RPM_${c}_PACKAGE_SUMMARY "Debug information for package ${pkg}")
  set(CPACK_RPM_${c}_PACKAGE_DESCRIPTION
      "This package provides debug information for package ${pkg}.
Debug information is useful when developing applications that use this
package or when debugging this package.")
  set(CPACK_RPM_${c}_PACKAGE_GROUP "Development/Debug")
  set(CPACK_RPM_${c}_PACKAGE_REQUIRES "${pkg} = ${PROJECT_VERSION}-${AUTHSVC_PACKAGE_RELEASE}")
endforeach()
# rpmbuild adds build-id links to the packages it builds (_build_id_links
# compat): /usr/lib/.build-id/xx/yyyy to the main packages, as Fedora has
# them. In a -debuginfo package the .debug files are at those names already
# and its links would be duplicates (yyyy.1, yyyy.1.debug): none there.
set(CPACK_RPM_SPEC_MORE_DEFINE
    "%define _build_id_links %{lua: print(rpm.expand('%{name}'):match('%-debuginfo$') and 'none' or 'compat')}")
# Directories every system has already: not owned by our packages.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /etc /lib /lib/systemd /lib/systemd/system /usr/lib/systemd /usr/lib/systemd/system
    /usr/share/lintian /usr/share/lintian/overrides /usr/lib/pkgconfig
    /usr/${CMAKE_INSTALL_LIBDIR} /usr/${CMAKE_INSTALL_LIBDIR}/pkgconfig
    /usr/share/doc /usr/include /usr/sbin
    /usr/share/man /usr/share/man/man5 /usr/share/man/man8 /usr/lib/debug)

include(CPack)
