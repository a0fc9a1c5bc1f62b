# SPDX-License-Identifier: MIT
# Debian packages with CPack (docs/packaging.md), included by the top-level CMakeLists.txt once
# every packaged target exists. One component per package:
#
#   server  -> flippdeal-server   binary, systemd unit, /etc/flippdeal/server.ini, maintainer scripts
#   desktop -> flippdeal-desktop  binary, .desktop entry, hicolor icon, AppStream data, autostart file
#   admin   -> flippdeal-admin    binary, .desktop entry, hicolor icon (only if the target exists)
#
#   cpack --config build/release/CPackConfig.cmake      # or: cmake --build build/release --target package
#
# The binaries' own install() rules (in server/, client-desktop/app/ and client-desktop/admin/)
# name their component; the files around them are installed here. Files with an absolute
# destination (/etc, /lib/systemd) are EXCLUDE_FROM_ALL: CPack installs them into the package, but
# a plain `cmake --install` does not write into the host's /etc (`--component server` does).

set(FLIPPDEAL_PACKAGE_MAINTAINER "FlippDeal Live maintainers <live@flippdeal.test>"
    CACHE STRING "Maintainer field of the Debian packages")
set(FLIPPDEAL_PACKAGE_HOMEPAGE "https://live.flippdeal.test"
    CACHE STRING "Homepage field of the Debian packages and the AppStream data")
set(FLIPPDEAL_PACKAGE_RELEASE "1" CACHE STRING "Debian revision of the packages (the -N of 0.1.0-N)")
set(FLIPPDEAL_APPSTREAM_ID "test.flippdeal.Live"
    CACHE STRING "AppStream component id of flippdeal-desktop (reverse DNS of the homepage)")

set(_pkg ${PROJECT_SOURCE_DIR}/installer)
set(_res ${PROJECT_SOURCE_DIR}/resources)
set(_components)

# ---- flippdeal-server -------------------------------------------------------------------------
if(TARGET flippdeal-server)
    list(APPEND _components server)
    install(FILES ${_pkg}/server/flippdeal-server.service
        DESTINATION /lib/systemd/system COMPONENT server EXCLUDE_FROM_ALL)
    install(FILES ${_pkg}/server/server.ini
        DESTINATION /etc/flippdeal COMPONENT server EXCLUDE_FROM_ALL)
    install(FILES ${_pkg}/debian/copyright ${PROJECT_SOURCE_DIR}/docs/configuration.md
                  ${PROJECT_SOURCE_DIR}/docs/packaging.md
        DESTINATION share/doc/flippdeal-server COMPONENT server)
endif()

# ---- flippdeal-desktop ------------------------------------------------------------------------
if(TARGET flippdeal-desktop)
    list(APPEND _components desktop)
    install(FILES ${_res}/desktop/flippdeal-desktop.desktop
        DESTINATION share/applications COMPONENT desktop)
    # Autostart is opt-in: the entry waits in /usr/share/flippdeal/autostart until a user copies it
    # to ~/.config/autostart (or an administrator to /etc/xdg/autostart).
    install(FILES ${_res}/desktop/flippdeal-desktop-autostart.desktop
        DESTINATION share/flippdeal/autostart RENAME flippdeal-desktop.desktop COMPONENT desktop)
    install(FILES ${_res}/icons/flippdeal.svg
        DESTINATION share/icons/hicolor/scalable/apps COMPONENT desktop)
    string(TIMESTAMP FLIPPDEAL_RELEASE_DATE "%Y-%m-%d" UTC) # honours SOURCE_DATE_EPOCH
    configure_file(${_res}/metainfo/flippdeal-desktop.metainfo.xml.in
        ${CMAKE_CURRENT_BINARY_DIR}/installer/${FLIPPDEAL_APPSTREAM_ID}.metainfo.xml @ONLY)
    install(FILES ${CMAKE_CURRENT_BINARY_DIR}/installer/${FLIPPDEAL_APPSTREAM_ID}.metainfo.xml
        DESTINATION share/metainfo COMPONENT desktop)
    install(FILES ${_pkg}/debian/copyright
        DESTINATION share/doc/flippdeal-desktop COMPONENT desktop)
endif()

# ---- flippdeal-admin (client-desktop/admin/, when it is built) --------------------------------
# Its binary's install rule (COMPONENT admin) is in client-desktop/admin/CMakeLists.txt.
if(TARGET flippdeal-admin)
    list(APPEND _components admin)
    install(FILES ${_res}/desktop/flippdeal-admin.desktop
        DESTINATION share/applications COMPONENT admin)
    install(FILES ${_res}/icons/flippdeal-admin.svg
        DESTINATION share/icons/hicolor/scalable/apps COMPONENT admin)
    install(FILES ${_pkg}/debian/copyright
        DESTINATION share/doc/flippdeal-admin COMPONENT admin)
endif()

# ---- CPack ------------------------------------------------------------------------------------
find_program(FLIPPDEAL_DPKG dpkg)
if(FLIPPDEAL_DPKG)
    execute_process(COMMAND ${FLIPPDEAL_DPKG} --print-architecture
        OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME flippdeal)
set(CPACK_PACKAGE_VENDOR "FlippDeal")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Empty on purpose: each component's description starts with its own synopsis line, and CPackDeb
# would put a package-wide summary in front of it.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_PACKAGE_HOMEPAGE_URL "${FLIPPDEAL_PACKAGE_HOMEPAGE}")
set(CPACK_PACKAGE_CONTACT "${FLIPPDEAL_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages) # the .deb files; `cpack -B DIR` overrides
set(CPACK_STRIP_FILES ON) # a Debug build packs small too
set(CPACK_COMPONENTS_ALL ${_components}) # nothing else (no "Unspecified" package)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # NAME_VERSION-RELEASE_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE ${FLIPPDEAL_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FLIPPDEAL_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # dpkg-shlibdeps (dpkg-dev) adds the libraries' packages
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON) # 0755 scripts, 0644 conffiles

# The qml6-module-* packages the QML imports at run time, directly or through another module's
# qmldir. Debian's QML packages do not depend on each other and the compiled-in QML fails only at
# run time when one is missing; tests/packaging checks this list against the QML's imports.
set(FLIPPDEAL_QML_RUNTIME_PACKAGES
    qml6-module-qtqml qml6-module-qtqml-models qml6-module-qtqml-workerscript
    qml6-module-qtquick qml6-module-qtquick-templates qml6-module-qtquick-controls
    qml6-module-qtquick-layouts qml6-module-qtquick-window)
string(REPLACE ";" ", " _qml_depends "${FLIPPDEAL_QML_RUNTIME_PACKAGES}")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME flippdeal-server)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
# adduser for the postinst; the SQLite driver is a plugin, so dpkg-shlibdeps cannot see it.
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser, libqt6sql6-sqlite")
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "libqt6sql6-psql")
set(CPACK_DEBIAN_SERVER_PACKAGE_SUGGESTS "postgresql")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${_pkg}/server/debian/conffiles ${_pkg}/server/debian/postinst
    ${_pkg}/server/debian/prerm ${_pkg}/server/debian/postrm)
set(CPACK_COMPONENT_SERVER_DESCRIPTION
    "FlippDeal Live real-time server (Pusher protocol 7)
flippdeal-server carries buyer-seller chat, notifications and live auction
updates of the FlippDeal domain marketplace to every client in real time. It
speaks the Pusher Channels protocol 7, so Laravel Echo, pusher-js and the
pusher server SDKs work against it unchanged, and adds durable, gap-free
delivery from a transactional outbox.
.
This package runs it as the systemd service flippdeal-server, as the system
user flippdeal, with its SQLite database in /var/lib/flippdeal (PostgreSQL
is supported) and its settings in /etc/flippdeal/server.ini. The schema is
migrated every time the service starts.")

set(CPACK_DEBIAN_DESKTOP_PACKAGE_NAME flippdeal-desktop)
set(CPACK_DEBIAN_DESKTOP_PACKAGE_SECTION net)
# Plugins and QML modules are loaded at run time: dpkg-shlibdeps cannot see them. libqt6svg6
# holds the SVG icon engine and image format plugins. Linked libraries (Qt, libqt6keychain1)
# come from dpkg-shlibdeps, with their minimum versions.
set(CPACK_DEBIAN_DESKTOP_PACKAGE_DEPENDS "${_qml_depends}, libqt6svg6")
set(CPACK_DEBIAN_DESKTOP_PACKAGE_RECOMMENDS "gnome-keyring | kwalletmanager | keepassxc, qt6-wayland")
set(CPACK_COMPONENT_DESKTOP_DESCRIPTION
    "FlippDeal Live desktop client: chat, notifications and live auctions
The desktop client of the FlippDeal domain marketplace: chat between buyers
and sellers (with an offline outbox), a notification bell and a tray icon,
and live auctions with a server-corrected countdown. The sign-in token is
kept in the desktop keyring.
.
To start it at login, copy /usr/share/flippdeal/autostart/flippdeal-desktop.desktop
to ~/.config/autostart/.")

set(CPACK_DEBIAN_ADMIN_PACKAGE_NAME flippdeal-admin)
set(CPACK_DEBIAN_ADMIN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_ADMIN_PACKAGE_DEPENDS "libqt6svg6") # SVG icons; the rest from dpkg-shlibdeps
set(CPACK_DEBIAN_ADMIN_PACKAGE_RECOMMENDS "gnome-keyring | kwalletmanager | keepassxc")
set(CPACK_COMPONENT_ADMIN_DESCRIPTION
    "FlippDeal Live admin console
A native console for the operators of a FlippDeal Live server: live stats,
users (ban, revoke tokens), channels and presence, the job queue, disputed
escrows, auctions and announcements. For users with the admin role.")

# `make package_source`: the sources, not the build trees or node_modules.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build/" "/node_modules/" "/\\\\.cache/")

include(CPack)
