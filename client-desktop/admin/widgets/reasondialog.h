// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>

#include <memory>

namespace Ui {
class ReasonDialog;
}

namespace flippdeal::admin {

//! \brief Asks for the reason of a decision (resolving an escrow, cancelling an auction): a
//! summary of what is about to happen, a text of 1 to 1000 characters, and an OK button named
//! after the action, enabled once a reason is written.
class ReasonDialog : public QDialog
{
    Q_OBJECT

public:
    static constexpr int MaxLength = 1000;

    ReasonDialog(const QString &title, const QString &summary, const QString &actionText,
                 QWidget *parent = nullptr);
    ~ReasonDialog() override;

    QString reason() const;

    //! Shows the dialog; the reason, or an empty string when cancelled.
    static QString ask(QWidget *parent, const QString &title, const QString &summary,
                       const QString &actionText);

private:
    void updateState();

    std::unique_ptr<Ui::ReasonDialog> m_ui;
};

} // namespace flippdeal::admin
