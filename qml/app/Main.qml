// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Core
import FlippDeal.Desktop
import FlippDeal.Style
import FlippDeal.Session
import FlippDeal.Chat
import FlippDeal.Notifications
import FlippDeal.Auction

// flippdeal-desktop's window. main.cpp sets its initial properties: the one AppContext, the
// TrayController and the server address to offer at sign-in.
ApplicationWindow {
    id: window
    required property AppContext app
    required property TrayController tray
    property string initialServer

    enum Page { Chat, Auctions }

    width: 1280
    height: 720
    minimumWidth: 640
    minimumHeight: 480
    visible: true
    title: signedIn ? qsTr("FlippDeal Live — %1").arg(app.session.userName) : "FlippDeal Live"
    color: Theme.background

    readonly property bool signedIn: app.session.status === Session.SignedIn
    property int page: Main.Page.Chat

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

    Binding { target: Theme; property: "scheme"; value: window.app.colorScheme }
    Binding {
        target: window.app.messages
        when: window.app.messages !== null
        property: "active"
        value: window.active && window.visible && window.page === Main.Page.Chat
    }

    // Closing the window keeps the app in the tray, where there is one.
    onClosing: (close) => {
        if (window.tray.available) {
            close.accepted = false
            window.hide()
        }
    }

    // --- used by the screenshot tour and the notification dropdown --------------------------
    //! `chat` or `auctions`.
    function showPage(name) { window.page = name === "auctions" ? Main.Page.Auctions : Main.Page.Chat }
    function openConversationAt(row) { chatPage.openAt(row) }
    function setDraft(text) { chatPage.draft = text }
    function openBell() { bell.openDropdown() }
    function closeBell() { bell.closeDropdown() }
    function closeDialogs() { escrowDialog.close() }
    function openAuction(domainId) { window.page = Main.Page.Auctions; auctionsPage.open(domainId) }
    function openNotification(type, payload) {
        if (type === "message.received") {
            window.page = Main.Page.Chat
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
                sourceSize.width: 28
                sourceSize.height: 28
                Layout.rightMargin: Theme.spacing
            }
            NavButton {
                objectName: "chatTab"
                text: qsTr("Messages")
                iconName: "chat"
                current: window.page === Main.Page.Chat
                badgeCount: window.app.conversations ? window.app.conversations.totalUnread : 0
                Layout.fillHeight: true
                onClicked: window.page = Main.Page.Chat
            }
            NavButton {
                objectName: "auctionsTab"
                text: qsTr("Auctions")
                iconName: "gavel"
                current: window.page === Main.Page.Auctions
                Layout.fillHeight: true
                onClicked: window.page = Main.Page.Auctions
            }
            Item { Layout.fillWidth: true }

            Rectangle {
                objectName: "connectionDot"
                width: 10; height: 10; radius: 5
                color: window.app.realtime.state === RealtimeClient.Connected ? Theme.success
                     : window.app.realtime.state === RealtimeClient.Unavailable ? Theme.danger : Theme.warning
                ToolTip.visible: dotArea.containsMouse
                ToolTip.text: qsTr("Connection: %1").arg(window.app.realtime.stateName)
                MouseArea { id: dotArea; anchors.fill: parent; hoverEnabled: true }
            }
            NotificationBell {
                id: bell
                objectName: "bell"
                notifications: window.app.notifications
                onActivated: (type, payload) => window.openNotification(type, payload)
            }
            IconButton {
                id: userButton
                text: window.app.session.userName
                tip: window.app.session.email
                onClicked: userMenu.open()
                Menu {
                    id: userMenu
                    y: userButton.height
                    MenuItem {
                        text: qsTr("Mute notification pop-ups")
                        checkable: true
                        checked: window.app.muted
                        onToggled: window.app.muted = checked
                    }
                    Menu {
                        title: qsTr("Appearance")
                        MenuItem {
                            text: qsTr("Follow the system")
                            checkable: true
                            checked: window.app.colorScheme === AppContext.System
                            onTriggered: window.app.colorScheme = AppContext.System
                        }
                        MenuItem {
                            text: qsTr("Light")
                            checkable: true
                            checked: window.app.colorScheme === AppContext.Light
                            onTriggered: window.app.colorScheme = AppContext.Light
                        }
                        MenuItem {
                            text: qsTr("Dark")
                            checkable: true
                            checked: window.app.colorScheme === AppContext.Dark
                            onTriggered: window.app.colorScheme = AppContext.Dark
                        }
                    }
                    MenuSeparator {}
                    MenuItem {
                        text: qsTr("Sign out")
                        icon.source: Theme.icon("logout")
                        onTriggered: window.app.session.signOut()
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
            connectionState: window.app.realtime.state
            pendingCount: window.app.outbox ? window.app.outbox.pendingCount : 0
            visible: window.signedIn && (down || backOnline)
        }
        Rectangle {
            Layout.fillWidth: true
            visible: window.signedIn && window.app.session.keychainWarning !== ""
            implicitHeight: keychainLabel.implicitHeight + Theme.spacing
            color: Theme.warning
            Label {
                id: keychainLabel
                anchors.centerIn: parent
                width: parent.width - 2 * Theme.spacing
                text: window.app.session.keychainWarning
                color: "#ffffff"
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignHCenter
            }
        }

        StackLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: window.signedIn
            currentIndex: window.page === Main.Page.Auctions ? 1 : 0

            ChatPage {
                id: chatPage
                conversations: window.app.conversations
                messages: window.app.messages
            }
            AuctionsPage {
                id: auctionsPage
                auctions: window.app.auctions
                auction: window.app.auction
                onRefreshRequested: window.app.refreshAuctions()
            }
        }

        SignInPage {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: !window.signedIn
            session: window.app.session
            serverUrl: window.initialServer || "http://127.0.0.1:6001"
        }
    }

    Dialog {
        id: escrowDialog
        objectName: "escrowDialog"
        property int escrowId: 0
        readonly property var escrow: window.app.escrow
        anchors.centerIn: parent
        width: Math.min(420, window.width - 32)
        modal: true
        title: qsTr("Escrow #%1").arg(escrowId)
        onOpened: window.app.loadEscrow(escrowId)
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
                text: escrowDialog.escrow.buyer_id === window.app.session.userId ? qsTr("the buyer")
                    : escrowDialog.escrow.seller_id === window.app.session.userId ? qsTr("the seller") : qsTr("an administrator")
            }
        }
        Label {
            Layout.fillWidth: true
            visible: escrowDialog.escrow.id === undefined
            text: window.app.escrowError !== "" ? window.app.escrowError : qsTr("Loading…")
            color: window.app.escrowError !== "" ? Theme.danger : Theme.textMuted
            wrapMode: Text.Wrap
        }
        }
    }

    Shortcut { sequences: ["Ctrl+1"]; onActivated: window.page = Main.Page.Chat }
    Shortcut { sequences: ["Ctrl+2"]; onActivated: window.page = Main.Page.Auctions }
    Shortcut { sequences: ["Ctrl+Q"]; onActivated: Qt.quit() } // StandardKey.Quit on Linux
}
