// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace flippdeal::admin {

class AdminConsole;

//! \brief The Announce tab: a title and a text sent to every user who is not banned (stored as
//! `announcement` notifications and shown live).
class AnnouncePage : public QWidget
{
    Q_OBJECT

public:
    static constexpr int MaxTitle = 120;
    static constexpr int MaxBody = 2000;

    explicit AnnouncePage(AdminConsole &console, QWidget *parent = nullptr);

    QLineEdit *titleField() const { return m_title; }
    QPlainTextEdit *bodyField() const { return m_body; }

private:
    void updateState();
    void send();

    AdminConsole &m_console;
    QLineEdit *m_title = nullptr;
    QPlainTextEdit *m_body = nullptr;
    QLabel *m_counter = nullptr;
    QLabel *m_result = nullptr;
    QPushButton *m_send = nullptr;
};

} // namespace flippdeal::admin
