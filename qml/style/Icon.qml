// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls.impl

// A monochrome icon from resources/icons, tinted to the theme.
IconImage {
    property string iconName
    property int size: 18
    source: iconName ? Theme.icon(iconName) : ""
    sourceSize.width: size
    sourceSize.height: size
    color: Theme.text
}
