// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Style
import FlippDeal.Session
import FlippDeal.Chat
import FlippDeal.Notifications
import FlippDeal.Auction

// flippdeal-desktop's window. Context properties from main.cpp: `app` (AppContext), `tray`
// (TrayController) and `initialServer`.
ApplicationWindow {
    id: window
    width: 1280
    height: 720
    minimumWidth: 640
    minimumHeight: 480
    visible: true
    title: app.session.status === "signedIn" ? qsTr("FlippDeal Live — %1").arg(app.session.userName)
                                             : "FlippDeal Live"
    color: Theme.background

    readonly property bool signedIn: app.session.status === "signedIn"
    property string page: "chat"

    palette.window: Theme.background
    palette.windowText: Theme.text
    palette.base: Theme.surfaceAlt
    palette.alternateBase: Theme.surface
    palette.text: Theme.text
    palette.button: Theme.surfaceAlt
    palette.buttonText: Theme.text
    palette.highlight: Theme.accent
    palette.highlightedText: Theme.accentText
    palette.placeholderText: Theme.textMuted
    palette.mid: Theme.border
    palette.dark: Theme.border
    palette.light: Theme.surface
    palette.toolTipBase: Theme.surface
    palette.toolTipText: Theme.text

    Binding { target: Theme; property: "scheme"; value: app.colorScheme }
    Binding {
        target: app.messages
        when: app.messages !== null
        property: "active"
        value: window.active && window.visible && window.page === "chat"
    }

    // Closing the window keeps the app in the tray, where there is one.
    onClosing: (close) => {
        if (tray.available) {
            close.accepted = false
            window.hide()
        }
    }

    // --- used by the screenshot tour and the notification dropdown --------------------------
    function showPage(name) { window.page = name }
    function openConversationAt(row) { chatPage.openAt(row) }
    function setDraft(text) { chatPage.draft = text }
    function openBell() { bell.openDropdown() }
    function closeBell() { bell.closeDropdown() }
    function closeDialogs() { escrowDialog.close() }
    function openAuction(domainId) { window.page = "auctions"; auctionsPage.open(domainId) }
    function openNotification(type, payload) {
        if (type === "message.received") {
            window.page = "chat"
            chatPage.open(payload.from_user_id, payload.from_name, payload.domain_id || 0)
        } else if (payload.escrow_id) {
            escrowDialog.escrowId = payload.escrow_id
            escrowDialog.open()
        } else if (payload.domain_id && (type.startsWith("bid.") || type.startsWith("auction."))) {
            openAuction(payload.domain_id)
        }
    }

    header: ToolBar {
        visible: window.signedIn
        background: Rectangle {
            color: Theme.surface
            Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: Theme.border }
        }
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: Theme.spacing
            anchors.rightMargin: Theme.spacing
            spacing: Theme.spacing / 2

            Image {
                source: Theme.icon("flippdeal")
                sourceSize: Qt.size(28, 28)
                Layout.rightMargin: Theme.spacing
            }
            NavButton {
                objectName: "chatTab"
                text: qsTr("Messages")
                iconName: "chat"
                current: window.page === "chat"
                badgeCount: app.conversations ? app.conversations.totalUnread : 0
                Layout.fillHeight: true
                onClicked: window.page = "chat"
            }
            NavButton {
                objectName: "auctionsTab"
                text: qsTr("Auctions")
                iconName: "gavel"
                current: window.page === "auctions"
                Layout.fillHeight: true
                onClicked: window.page = "auctions"
            }
            Item { Layout.fillWidth: true }

            Rectangle {
                objectName: "connectionDot"
                width: 10; height: 10; radius: 5
                color: app.realtime.stateName === "connected" ? Theme.success
                     : app.realtime.stateName === "unavailable" ? Theme.danger : Theme.warning
                ToolTip.visible: dotArea.containsMouse
                ToolTip.text: qsTr("Connection: %1").arg(app.realtime.stateName)
                MouseArea { id: dotArea; anchors.fill: parent; hoverEnabled: true }
            }
            NotificationBell {
                id: bell
                objectName: "bell"
                notifications: app.notifications
                onActivated: (type, payload) => window.openNotification(type, payload)
            }
            IconButton {
                id: userButton
                text: app.session.userName
                tip: app.session.email
                onClicked: userMenu.open()
                Menu {
                    id: userMenu
                    y: userButton.height
                    MenuItem {
                        text: qsTr("Mute notification pop-ups")
                        checkable: true
                        checked: app.muted
                        onToggled: app.muted = checked
                    }
                    Menu {
                        title: qsTr("Appearance")
                        Repeater {
                            model: [["system", qsTr("Follow the system")], ["light", qsTr("Light")], ["dark", qsTr("Dark")]]
                            MenuItem {
                                required property var modelData
                                text: modelData[1]
                                checkable: true
                                checked: app.colorScheme === modelData[0]
                                onTriggered: app.colorScheme = modelData[0]
                            }
                        }
                    }
                    MenuSeparator {}
                    MenuItem {
                        text: qsTr("Sign out")
                        icon.source: Theme.icon("logout")
                        onTriggered: app.session.signOut()
                    }
                    MenuItem {
                        text: qsTr("Quit")
                        onTriggered: Qt.quit()
                    }
                }
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        ConnectionBanner {
            objectName: "connectionBanner"
            Layout.fillWidth: true
            connectionState: app.realtime.stateName
            pendingCount: app.outbox ? app.outbox.pendingCount : 0
            visible: window.signedIn && (down || backOnline)
        }
        Rectangle {
            Layout.fillWidth: true
            visible: window.signedIn && app.session.keychainWarning !== ""
            implicitHeight: keychainLabel.implicitHeight + Theme.spacing
            color: Theme.warning
            Label {
                id: keychainLabel
                anchors.centerIn: parent
                width: parent.width - 2 * Theme.spacing
                text: app.session.keychainWarning
                color: "#ffffff"
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignHCenter
            }
        }

        StackLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: window.signedIn
            currentIndex: window.page === "auctions" ? 1 : 0

            ChatPage {
                id: chatPage
                conversations: app.conversations
                messages: app.messages
            }
            AuctionsPage {
                id: auctionsPage
                auctions: app.auctions
                auction: app.auction
                onRefreshRequested: app.refreshAuctions()
            }
        }

        SignInPage {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: !window.signedIn
            session: app.session
            serverUrl: initialServer || "http://127.0.0.1:6001"
        }
    }

    Dialog {
        id: escrowDialog
        objectName: "escrowDialog"
        property int escrowId: 0
        readonly property var escrow: app.escrow
        anchors.centerIn: parent
        width: Math.min(420, window.width - 32)
        modal: true
        title: qsTr("Escrow #%1").arg(escrowId)
        onOpened: app.loadEscrow(escrowId)
        background: Rectangle { color: Theme.surface; border.color: Theme.border; radius: Theme.radius }
        header: Label {
            text: escrowDialog.title
            font.bold: true
            font.pixelSize: Theme.fontSize + 2
            color: Theme.text
            padding: 2 * Theme.spacing
            bottomPadding: 0
            background: null
        }
        footer: DialogButtonBox {
            standardButtons: Dialog.Close
            background: null
            onRejected: escrowDialog.close()
        }

        ColumnLayout {
        GridLayout {
            columns: 2
            columnSpacing: 2 * Theme.spacing
            rowSpacing: Theme.spacing
            visible: escrowDialog.escrow.id !== undefined
            Label { text: qsTr("Status"); color: Theme.textMuted }
            Label {
                text: String(escrowDialog.escrow.status || "").replace(/_/g, " ")
                font.bold: true
                color: Theme.text
            }
            Label { text: qsTr("Domain"); color: Theme.textMuted }
            Label { text: "#" + (escrowDialog.escrow.domain_id || ""); color: Theme.text }
            Label { text: qsTr("Amount"); color: Theme.textMuted }
            Label { text: Theme.formatMoney(escrowDialog.escrow.amount_cents || 0); color: Theme.text }
            Label { text: qsTr("Fee"); color: Theme.textMuted }
            Label { text: Theme.formatMoney(escrowDialog.escrow.fee_cents || 0); color: Theme.text }
            Label { text: qsTr("Seller receives"); color: Theme.textMuted }
            Label { text: Theme.formatMoney(escrowDialog.escrow.payout_cents || 0); color: Theme.text }
            Label { text: qsTr("You are"); color: Theme.textMuted }
            Label {
                color: Theme.text
                text: escrowDialog.escrow.buyer_id === app.session.userId ? qsTr("the buyer")
                    : escrowDialog.escrow.seller_id === app.session.userId ? qsTr("the seller") : qsTr("an administrator")
            }
        }
        Label {
            Layout.fillWidth: true
            visible: escrowDialog.escrow.id === undefined
            text: app.escrowError !== "" ? app.escrowError : qsTr("Loading…")
            color: app.escrowError !== "" ? Theme.danger : Theme.textMuted
            wrapMode: Text.Wrap
        }
        }
    }

    Shortcut { sequences: ["Ctrl+1"]; onActivated: window.page = "chat" }
    Shortcut { sequences: ["Ctrl+2"]; onActivated: window.page = "auctions" }
    Shortcut { sequences: [StandardKey.Quit]; onActivated: Qt.quit() }
}
