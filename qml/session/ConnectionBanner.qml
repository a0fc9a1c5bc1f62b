// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Core
import FlippDeal.Style

// A strip at the top of the window while the connection is down, and briefly once it is back.
// `connectionState` takes the realtime client's state (RealtimeClient.State).
Rectangle {
    id: banner
    required property int connectionState
    property int pendingCount: 0
    property string errorText: ""
    property bool backOnline: false
    readonly property bool down: connectionState === RealtimeClient.Unavailable
                                 || (connectionState === RealtimeClient.Connecting && wasConnected)
    property bool wasConnected: false

    visible: down || backOnline
    implicitHeight: visible ? row.implicitHeight + Theme.spacing : 0
    color: down ? Theme.warning : Theme.success
    Accessible.role: Accessible.AlertMessage
    Accessible.name: label.text

    onConnectionStateChanged: {
        if (connectionState === RealtimeClient.Connected) {
            if (wasConnected && hideTimer.armed) {
                backOnline = true
                hideTimer.restart()
            }
            wasConnected = true
            hideTimer.armed = false
        } else if (connectionState === RealtimeClient.Unavailable) {
            hideTimer.armed = true
            backOnline = false
        }
    }

    Timer {
        id: hideTimer
        property bool armed: false
        interval: 3000
        onTriggered: banner.backOnline = false
    }

    RowLayout {
        id: row
        anchors.centerIn: parent
        spacing: Theme.spacing
        Icon {
            iconName: banner.down ? "wifi-off" : "check"
            color: "#ffffff"
            size: 16
        }
        Label {
            id: label
            objectName: "bannerLabel"
            color: "#ffffff"
            font.bold: true
            text: banner.down
                  ? (banner.pendingCount > 0
                     ? qsTr("Offline. Reconnecting… %n message(s) will be sent when the connection is back.", "", banner.pendingCount)
                     : qsTr("Offline. Reconnecting…"))
                  : qsTr("Back online. Everything is up to date.")
            elide: Text.ElideRight
            Layout.maximumWidth: banner.width - 6 * Theme.spacing
        }
    }
}
