# SPDX-License-Identifier: MIT
# The admin console's controller and models (include()d from CMakeLists.txt).
if(TARGET flippdeal_admin_core)
    # Against a TestServer and the real (throwaway) keychain: Session keeps the token there.
    if(COMMAND flippdeal_add_keyring_test)
        flippdeal_add_keyring_test(tst_adminmodels SOURCES tst_adminmodels.cpp
                                   LIBRARIES flippdeal_admin_core flippdeal_test_support)
    else()
        flippdeal_add_test(tst_adminmodels SOURCES tst_adminmodels.cpp
                           LIBRARIES flippdeal_admin_core flippdeal_test_support)
    endif()
    set_property(TEST tst_adminmodels APPEND PROPERTY LABELS postgres)
endif()
