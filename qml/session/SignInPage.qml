// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Core
import FlippDeal.Style

// Sign in or register with the C++ Session.
Rectangle {
    id: page
    required property Session session
    property string serverUrl: ""
    property bool registering: false

    color: Theme.background

    function submit() {
        if (page.session.busy)
            return
        if (registering)
            page.session.registerAccount(serverField.text, nameField.text, emailField.text, passwordField.text)
        else
            page.session.signIn(serverField.text, emailField.text, passwordField.text)
    }

    // Enter anywhere submits once. The fields need no onAccepted: TextInput passes Return and
    // Enter on to its parents, so a handler there as well would submit twice.
    Keys.onReturnPressed: submit()
    Keys.onEnterPressed: submit()

    Rectangle {
        id: card
        anchors.centerIn: parent
        width: Math.min(400, page.width - 2 * Theme.spacing)
        height: form.implicitHeight + 6 * Theme.spacing
        radius: Theme.radius * 1.5
        color: Theme.surface
        border.color: Theme.border

        ColumnLayout {
            id: form
            anchors.fill: parent
            anchors.margins: 3 * Theme.spacing
            spacing: Theme.spacing

            RowLayout {
                spacing: Theme.spacing
                Image {
                    source: Theme.icon("flippdeal")
                    sourceSize.width: 40
                    sourceSize.height: 40
                }
                ColumnLayout {
                    spacing: 0
                    Label {
                        text: "FlippDeal Live"
                        font.pixelSize: Theme.titleFontSize
                        font.bold: true
                        color: Theme.text
                    }
                    Label {
                        text: page.registering ? qsTr("Create your account") : qsTr("Sign in to chat, bid and follow your deals")
                        color: Theme.textMuted
                        font.pixelSize: Theme.smallFontSize
                        Layout.fillWidth: true
                        elide: Text.ElideRight
                    }
                }
            }

            Label { text: qsTr("Server"); color: Theme.text }
            TextField {
                id: serverField
                objectName: "serverField"
                Layout.fillWidth: true
                text: page.serverUrl
                placeholderText: "http://127.0.0.1:6001"
                inputMethodHints: Qt.ImhUrlCharactersOnly | Qt.ImhNoAutoUppercase
            }
            Label { text: qsTr("Name"); color: Theme.text; visible: page.registering }
            TextField {
                id: nameField
                objectName: "nameField"
                Layout.fillWidth: true
                visible: page.registering
                placeholderText: qsTr("Your name as others see it")
            }
            Label { text: qsTr("Email"); color: Theme.text }
            TextField {
                id: emailField
                objectName: "emailField"
                Layout.fillWidth: true
                text: page.session.email
                inputMethodHints: Qt.ImhEmailCharactersOnly | Qt.ImhNoAutoUppercase
                Component.onCompleted: if (text === "") forceActiveFocus(); else passwordField.forceActiveFocus()
            }
            Label { text: qsTr("Password"); color: Theme.text }
            TextField {
                id: passwordField
                objectName: "passwordField"
                Layout.fillWidth: true
                echoMode: TextInput.Password
                placeholderText: page.registering ? qsTr("At least 8 characters") : ""
            }

            Label {
                objectName: "errorLabel"
                Layout.fillWidth: true
                visible: text !== ""
                text: page.session.errorString
                textFormat: Text.PlainText
                color: Theme.danger
                wrapMode: Text.Wrap
            }

            PrimaryButton {
                objectName: "submitButton"
                Layout.fillWidth: true
                Layout.topMargin: Theme.spacing
                text: page.session.busy ? qsTr("Please wait…")
                                        : page.registering ? qsTr("Create account") : qsTr("Sign in")
                enabled: !page.session.busy
                onClicked: page.submit()
            }
            BusyIndicator {
                Layout.alignment: Qt.AlignHCenter
                running: page.session.busy
                visible: running
                implicitHeight: 32
                implicitWidth: 32
            }
            Button {
                objectName: "switchModeButton"
                Layout.alignment: Qt.AlignHCenter
                flat: true
                text: page.registering ? qsTr("I already have an account") : qsTr("Create an account")
                onClicked: page.registering = !page.registering
            }
        }
    }
}
