# SPDX-License-Identifier: MIT
# The desktop client core's chat and live-auction suites: the conversation model with its
# outbox and the auction controller against a real in-process server, and the small record
# list model of the auction view on its own.
flippdeal_add_test(tst_messagemodel SOURCES tst_messagemodel.cpp
                   LIBRARIES flippdeal_client_core flippdeal_test_support)
set_property(TEST tst_messagemodel APPEND PROPERTY LABELS postgres)
flippdeal_add_test(tst_auctioncontroller SOURCES tst_auctioncontroller.cpp
                   LIBRARIES flippdeal_client_core flippdeal_test_support)
set_property(TEST tst_auctioncontroller APPEND PROPERTY LABELS postgres)
flippdeal_add_test(tst_recordlistmodel SOURCES tst_recordlistmodel.cpp
                   LIBRARIES flippdeal_client_core)
