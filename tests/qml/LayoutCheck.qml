// SPDX-License-Identifier: MIT
import QtQuick

// Finds visible text that does not fit: text set to elide or wrap whose content is wider than
// its box, and text that sticks out of any sized ancestor (up to `root`).
QtObject {
    function isText(item) {
        return item.contentWidth !== undefined && typeof item.text === "string"
               && item.wrapMode !== undefined && item.font !== undefined
    }

    function describe(item) {
        return (item.objectName ? item.objectName + " " : "") + JSON.stringify(item.text)
    }

    function check(item, root, problems) {
        if (!item.visible || item.opacity === 0)
            return
        if (isText(item) && item.text !== "" && item.width > 0) {
            const fits = item.elide !== undefined && item.elide !== Text.ElideNone
                         || item.wrapMode !== Text.NoWrap
            if (fits && item.contentWidth > item.width + 1)
                problems.push(describe(item) + ": content " + item.contentWidth + " wider than "
                              + item.width)
            for (let a = item.parent; a && a !== root.parent; a = a.parent) {
                // A Flickable's content item is as wide as its content, not its view.
                if (a.width <= 0 || (a.parent && a.parent.contentItem === a
                                     && a.parent.contentWidth !== undefined))
                    continue
                const p = item.mapToItem(a, 0, 0)
                if (p.x < -1 || p.x + item.width > a.width + 1) {
                    problems.push(describe(item) + ": x " + p.x + ".." + (p.x + item.width)
                                  + " outside " + a + " of width " + a.width)
                    break
                }
            }
        }
        for (let i = 0; i < item.children.length; ++i)
            check(item.children[i], root, problems)
    }

    // A list of human-readable problems; empty when everything fits.
    function overflows(root) {
        const problems = []
        check(root, root, problems)
        return problems
    }
}
