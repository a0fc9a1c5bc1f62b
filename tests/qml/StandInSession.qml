// SPDX-License-Identifier: MIT
import QtQuick

// Stands in for the C++ Session: the members SignInPage uses, recording the calls.
QtObject {
    property bool busy: false
    property string errorString: ""
    property string email: ""
    property var signInCalls: []
    property var registerCalls: []

    function signIn(serverUrl, emailAddress, password) {
        signInCalls = signInCalls.concat([[serverUrl, emailAddress, password]])
    }
    function registerAccount(serverUrl, name, emailAddress, password) {
        registerCalls = registerCalls.concat([[serverUrl, name, emailAddress, password]])
    }
}
