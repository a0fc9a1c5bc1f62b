# SPDX-License-Identifier: MIT
# The desktop client's session, keychain and inbox suites (include()d from CMakeLists.txt).

# flippdeal_add_keyring_test(<name> SOURCES <files...> LIBRARIES <targets...>)
# Like flippdeal_add_test, but the test runs through with-keyring.sh: a throwaway D-Bus session
# with an unlocked gnome-keyring and a throwaway HOME, so it uses a real system keychain (the
# Secret Service) and never the developer's own.
function(flippdeal_add_keyring_test name)
    cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE Qt6::Test flippdeal_options ${ARG_LIBRARIES})
    add_test(NAME ${name}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/with-keyring.sh $<TARGET_FILE:${name}>)
    set_tests_properties(${name} PROPERTIES
        ENVIRONMENT "QT_QPA_PLATFORM=offscreen;QT_LOGGING_RULES=flippdeal.*.info=false"
        TIMEOUT 300)
endfunction()

set(client_test_libs flippdeal_client_core flippdeal_test_support)

# Session and TokenStore against a real server and the real (throwaway) keychain.
flippdeal_add_keyring_test(tst_session SOURCES tst_session.cpp LIBRARIES ${client_test_libs})
# The composition root: per-user models created at sign-in, destroyed at sign-out.
flippdeal_add_keyring_test(tst_appcontext SOURCES tst_appcontext.cpp
                           LIBRARIES ${client_test_libs})
# The inbox model under QAbstractItemModelTester.
flippdeal_add_test(tst_conversationmodel SOURCES tst_conversationmodel.cpp
                   LIBRARIES ${client_test_libs})

# These only talk to a TestServer, which follows FLIPPDEAL_TEST_DATABASE: run them on PostgreSQL too.
set_property(TEST tst_session tst_appcontext tst_conversationmodel APPEND PROPERTY LABELS postgres)
