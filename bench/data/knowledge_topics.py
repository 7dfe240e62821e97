# ruff: noqa: E501  (a table of sentences: one past request and its note a line)
"""The labelled set of bench/knowledge.py, written by hand: helpdesk topics, each with
past requests (English and Hebrew), their resolution notes, and new questions.

Every past request of a topic answers every question of that topic. `make` writes
bench/data/knowledge.json from it (the file the bench reads).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# topic: (past requests [(text, resolution note)], new questions)
TOPICS: dict[str, tuple[list[tuple[str, str]], list[str]]] = {
    "wifi_drop": ([
        ("The wifi on the 3rd floor keeps dropping every few minutes", "Replaced the faulty access point on floor 3"),
        ("Wi-Fi disconnects in the meeting rooms", "Access point firmware updated, roaming fixed"),
        ("הוויפי בקומה 3 מתנתק כל כמה דקות", "הוחלפה נקודת הגישה התקולה בקומה 3"),
        ("אין חיבור לוויפי בחדר הישיבות", "עודכנה קושחת נקודת הגישה"),
        ("WiFi signal very weak near the kitchen", "Added an access point near the kitchen"),
    ], ["בווי-פי יש ניתוקים כל הזמן", "wireless keeps disconnecting on floor three", "וי-פי לא יציב בחדר ישיבות"]),
    "vpn_connect": ([
        ("Cannot connect to the VPN from home", "Reinstalled GlobalProtect and re-enrolled the certificate"),
        ("VPN says certificate expired", "Issued a new VPN certificate"),
        ("לא מצליח להתחבר ל-VPN מהבית", "הותקן מחדש GlobalProtect ונרשמה תעודה חדשה"),
        ("ה-VPN מתנתק כל שעה", "עודכנה גרסת הלקוח של ה-VPN"),
        ("GlobalProtect stuck on connecting", "Cleared the GlobalProtect cache and reconnected"),
    ], ["vpn won't connect when working from home", "בעיה בהתחברות לויפיאן מהבית"]),
    "password_reset": ([
        ("I forgot my password and can't log in", "Reset the password and sent a temporary one by SMS"),
        ("Password expired, need a reset", "Password reset, user set a new one at the kiosk"),
        ("שכחתי את הסיסמה שלי", "אופסה הסיסמה ונשלחה סיסמה זמנית ב-SMS"),
        ("הסיסמא פגה ואני לא יכול להיכנס", "בוצע איפוס סיסמה"),
        ("Need to reset my Windows password", "Reset via the admin console"),
    ], ["forgot password", "שכחתי סיסמא למחשב", "how do I reset my password"]),
    "account_locked": ([
        ("My account is locked after too many attempts", "Unlocked the account in Active Directory"),
        ("Locked out of my account this morning", "Account unlocked; old phone was retrying an old password"),
        ("החשבון שלי ננעל", "החשבון שוחרר ב-Active Directory"),
        ("נחסמתי אחרי כמה ניסיונות התחברות", "שוחררה הנעילה, הטלפון הישן ניסה סיסמה ישנה"),
    ], ["account locked out", "המשתמש שלי נעול"]),
    "printer_jam": ([
        ("The printer on floor 2 is jammed", "Cleared the paper jam in tray 2"),
        ("Printer shows paper jam but there is no paper stuck", "Cleaned the sensor and reset the printer"),
        ("המדפסת בקומה 2 תקועה", "שוחררה תקיעת הנייר במגש 2"),
        ("המדפסת מראה תקיעת נייר", "נוקה החיישן והמדפסת אופסה"),
    ], ["paper stuck in the printer", "יש תקיעה במדפסת"]),
    "printer_toner": ([
        ("Printer prints faded pages", "Replaced the toner cartridge"),
        ("Printer out of toner", "New toner installed"),
        ("המדפסת מדפיסה חלש, נגמר הטונר", "הוחלפה מחסנית הטונר"),
        ("צריך טונר למדפסת בקומה 4", "הותקן טונר חדש"),
    ], ["toner is empty", "הדפסה דהויה, כנראה טונר"]),
    "printer_driver": ([
        ("Can't add the network printer to my laptop", "Installed the printer driver from the print server"),
        ("Printer not showing in the list", "Added the printer by its IP and installed the driver"),
        ("לא מצליח להוסיף את מדפסת הרשת למחשב", "הותקן דרייבר מהשרת"),
        ("המדפסת לא מופיעה ברשימה", "נוספה המדפסת לפי כתובת IP"),
    ], ["how to install a printer on my laptop", "להתקין מדפסת במחשב הנייד"]),
    "outlook_not_sync": ([
        ("Outlook is not receiving new emails", "Rebuilt the Outlook profile"),
        ("Emails stuck in the outbox", "Cleared the outbox and repaired the OST file"),
        ("אאוטלוק לא מקבל מיילים חדשים", "נבנה מחדש פרופיל האאוטלוק"),
        ("מיילים תקועים בתיבת הדואר היוצא", "תוקן קובץ ה-OST"),
    ], ["my mail is stuck and not sending", "לא מגיעים לי מיילים באוטלוק"]),
    "mailbox_full": ([
        ("My mailbox is full", "Enabled the online archive"),
        ("Can't send email, quota exceeded", "Raised the mailbox quota and archived old mail"),
        ("תיבת הדואר שלי מלאה", "הופעל ארכיון מקוון"),
        ("חריגה ממכסת הדואר", "הוגדלה המכסה והועבר דואר ישן לארכיון"),
    ], ["mailbox quota full", "התיבה מלאה ואי אפשר לשלוח מייל"]),
    "teams_mic": ([
        ("Microphone not working in Teams calls", "Selected the headset microphone in Teams device settings"),
        ("People can't hear me on Teams", "Updated the audio driver"),
        ("המיקרופון לא עובד בשיחות טימס", "נבחר מיקרופון האוזניות בהגדרות"),
        ("לא שומעים אותי בטימס", "עודכן דרייבר השמע"),
    ], ["no one hears me in a teams meeting", "מיקרופון בטימס לא עובד"]),
    "teams_camera": ([
        ("Camera not detected in Teams", "Enabled camera access in Windows privacy settings"),
        ("Webcam shows black screen", "Updated the webcam driver"),
        ("המצלמה לא מזוהה בטימס", "הופעלה הרשאת מצלמה בהגדרות הפרטיות"),
        ("מסך שחור במצלמה", "עודכן הדרייבר של המצלמה"),
    ], ["webcam black in teams", "המצלמה לא עובדת בשיחת וידאו"]),
    "laptop_slow": ([
        ("My laptop is very slow", "Removed startup apps and added RAM"),
        ("Computer takes forever to boot", "Replaced the hard disk with an SSD"),
        ("המחשב שלי איטי מאוד", "הוסר עומס בהפעלה והוספה זיכרון"),
        ("המחשב הנייד נדלק לאט", "הוחלף הדיסק ל-SSD"),
    ], ["pc very sluggish", "הלפטופ איטי נורא"]),
    "laptop_no_boot": ([
        ("Laptop won't turn on", "Replaced the power adapter"),
        ("Black screen when I start my computer", "Reseated the RAM, laptop boots"),
        ("המחשב לא נדלק", "הוחלף ספק הכוח"),
        ("מסך שחור בהדלקת המחשב", "הוכנס מחדש הזיכרון"),
    ], ["computer does not start", "הלפטופ לא עולה"]),
    "battery": ([
        ("Laptop battery drains in an hour", "Replaced the battery under warranty"),
        ("Battery not charging", "Replaced the charger"),
        ("הסוללה של המחשב מתרוקנת מהר", "הוחלפה הסוללה במסגרת האחריות"),
        ("הסוללה לא נטענת", "הוחלף המטען"),
    ], ["battery dies fast", "המחשב לא נטען"]),
    "monitor": ([
        ("Second monitor not detected", "Replaced the HDMI cable"),
        ("External screen flickers", "Updated the display driver and replaced the dock"),
        ("המסך השני לא מזוהה", "הוחלף כבל ה-HDMI"),
        ("המסך החיצוני מהבהב", "עודכן דרייבר התצוגה והוחלפה תחנת העגינה"),
    ], ["external display not working", "מסך נוסף לא עובד"]),
    "keyboard_mouse": ([
        ("Wireless mouse stopped working", "Replaced the mouse batteries and re-paired the receiver"),
        ("Some keys on my keyboard don't work", "Replaced the keyboard"),
        ("העכבר האלחוטי הפסיק לעבוד", "הוחלפו סוללות העכבר"),
        ("חלק מהמקשים במקלדת לא עובדים", "הוחלפה המקלדת"),
    ], ["mouse not responding", "המקלדת לא מגיבה"]),
    "software_install": ([
        ("Please install Adobe Acrobat Pro", "Installed Acrobat Pro from the software center"),
        ("Need Visio installed", "Visio license assigned and installed"),
        ("בקשה להתקנת אדובי אקרובט", "הותקן אקרובט ממרכז התוכנה"),
        ("צריך התקנה של ויזיו", "הוקצה רישיון והותקן ויזיו"),
    ], ["can you install acrobat for me", "להתקין לי תוכנה חדשה"]),
    "license": ([
        ("Office says unlicensed product", "Reassigned the Office 365 license"),
        ("My Office license expired", "License renewed in the admin portal"),
        ("אופיס כותב מוצר ללא רישיון", "הוקצה מחדש רישיון אופיס 365"),
        ("הרישיון של אופיס פג", "חודש הרישיון בפורטל"),
    ], ["office unlicensed product error", "בעיית רשיון באופיס"]),
    "excel_crash": ([
        ("Excel crashes when I open a large file", "Disabled a faulty add-in"),
        ("Excel freezes on save", "Repaired Office installation"),
        ("אקסל קורס כשאני פותח קובץ גדול", "בוטל תוסף תקול"),
        ("האקסל נתקע בשמירה", "תוקנה התקנת אופיס"),
    ], ["excel keeps crashing", "האקסל קורס כל הזמן"]),
    "shared_drive": ([
        ("No access to the finance shared folder", "Added the user to the finance share group"),
        ("Access denied on the shared drive", "Granted read/write permission on the share"),
        ("אין לי גישה לתיקייה המשותפת של הכספים", "המשתמש נוסף לקבוצת ההרשאות"),
        ("אין הרשאה לכונן המשותף", "ניתנה הרשאת קריאה וכתיבה"),
    ], ["permission denied on shared folder", "צריך הרשאות לתיקיה משותפת"]),
    "sharepoint": ([
        ("Can't open the SharePoint site", "Added the user as a site member"),
        ("SharePoint says access required", "Approved the access request"),
        ("לא נפתח לי אתר השרפוינט", "המשתמש נוסף כחבר באתר"),
        ("שרפוינט מבקש הרשאת גישה", "אושרה בקשת הגישה"),
    ], ["sharepoint access denied", "אין גישה לשרפוינט"]),
    "onedrive_sync": ([
        ("OneDrive not syncing", "Reset the OneDrive client"),
        ("OneDrive shows sync errors", "Renamed files with invalid characters"),
        ("וואן דרייב לא מסתנכרן", "אופס הלקוח של וואן דרייב"),
        ("שגיאות סנכרון בוואן דרייב", "שונו שמות קבצים עם תווים לא חוקיים"),
    ], ["onedrive sync stuck", "הקבצים לא מסתנכרנים"]),
    "phone_email": ([
        ("Set up company email on my phone", "Installed Outlook mobile and enrolled in Intune"),
        ("Email stopped working on my iPhone", "Re-added the account in Outlook mobile"),
        ("להגדיר מייל של העבודה בטלפון", "הותקן אאוטלוק לנייד ונרשם ל-Intune"),
        ("המייל הפסיק לעבוד באייפון", "הוסף מחדש החשבון"),
    ], ["work mail on my mobile", "איך מגדירים מייל בפלאפון"]),
    "mfa": ([
        ("New phone, need to move my authenticator", "Reset MFA and re-registered the authenticator"),
        ("MFA codes not arriving", "Switched MFA to the authenticator app"),
        ("החלפתי טלפון וצריך להעביר את המאמת", "אופס אימות דו-שלבי ונרשם מחדש"),
        ("לא מגיעים קודי אימות", "הועבר האימות לאפליקציה"),
    ], ["authenticator on a new phone", "אימות דו שלבי לא עובד בטלפון חדש"]),
    "zoom": ([
        ("Zoom says my account is not licensed", "Assigned a Zoom pro license"),
        ("Can't share screen in Zoom", "Granted screen recording permission on macOS"),
        ("הזום אומר שאין לי רישיון", "הוקצה רישיון זום"),
        ("לא מצליח לשתף מסך בזום", "ניתנה הרשאת הקלטת מסך"),
    ], ["zoom screen share not working", "שיתוף מסך בזום לא עובד"]),
    "headset": ([
        ("Need a new headset", "Ordered a Jabra headset, delivered to the desk"),
        ("Headset broken", "Replaced the headset"),
        ("צריך אוזניות חדשות", "הוזמנו אוזניות ונמסרו לעמדה"),
        ("האוזניות שלי נשברו", "הוחלפו האוזניות"),
    ], ["my headphones broke", "בקשה לאוזניות"]),
    "new_employee": ([
        ("New employee starting Sunday needs a laptop and accounts", "Prepared laptop and created accounts"),
        ("Onboarding for a new hire in marketing", "Accounts created, laptop ready at reception"),
        ("עובד חדש מתחיל ביום ראשון וצריך מחשב וחשבון", "הוכן מחשב ונפתחו חשבונות"),
        ("קליטת עובדת חדשה בשיווק", "נפתחו חשבונות והמחשב מוכן בקבלה"),
    ], ["onboarding a new hire next week", "עובד חדש צריך מחשב"]),
    "leaver": ([
        ("Employee leaving, disable accounts", "Accounts disabled and mailbox converted to shared"),
        ("Offboarding for someone who left", "Disabled accounts, laptop collected"),
        ("עובד עוזב, לבטל חשבונות", "בוטלו החשבונות ותיבת הדואר הפכה למשותפת"),
        ("עזיבת עובד", "בוטלו חשבונות ונאסף המחשב"),
    ], ["disable account of a leaving employee", "עובדת עוזבת בסוף החודש"]),
    "badge": ([
        ("My building badge stopped working", "Re-encoded the badge at security"),
        ("Lost my entry card", "Cancelled the old card and issued a new one"),
        ("התג שלי לא פותח את הדלת", "קודד מחדש התג במחלקת הביטחון"),
        ("איבדתי את כרטיס הכניסה", "בוטל הכרטיס הישן והונפק חדש"),
    ], ["entry badge doesn't open the door", "הכרטיס לא עובד בכניסה"]),
    "salary_slip": ([
        ("Where can I find my payslip?", "Payslips are in the HR portal under Documents"),
        ("Didn't get this month's salary slip", "Resent the payslip by email"),
        ("איפה אני מוצא את תלוש השכר?", "התלושים בפורטל משאבי אנוש תחת מסמכים"),
        ("לא קיבלתי תלוש משכורת החודש", "התלוש נשלח שוב במייל"),
    ], ["payslip for this month missing", "איפה התלוש שלי"]),
    "salary_error": ([
        ("My salary is missing overtime hours", "Overtime added to next payroll"),
        ("Wrong amount in my paycheck", "Payroll corrected, difference paid"),
        ("חסרות שעות נוספות במשכורת", "השעות הנוספות יתווספו במשכורת הבאה"),
        ("סכום שגוי בתלוש", "תוקן השכר והפרש שולם"),
    ], ["overtime not paid in salary", "טעות במשכורת"]),
    "vacation": ([
        ("How do I request vacation days?", "Request leave in the HR portal, manager approves"),
        ("My vacation balance looks wrong", "Balance corrected after carry-over"),
        ("איך מבקשים ימי חופשה?", "מגישים בקשה בפורטל ומנהל מאשר"),
        ("יתרת החופשה שלי לא נכונה", "היתרה תוקנה לאחר העברה משנה קודמת"),
    ], ["request days off", "כמה ימי חופש נשארו לי"]),
    "expenses": ([
        ("How do I submit a travel expense?", "Submit in the expenses app with the receipt photo"),
        ("Expense reimbursement not paid yet", "Approved and paid with this month's salary"),
        ("איך מגישים החזר הוצאות נסיעה?", "מגישים באפליקציית ההוצאות עם צילום קבלה"),
        ("עוד לא קיבלתי החזר הוצאות", "אושר ושולם עם המשכורת"),
    ], ["reimbursement for a taxi", "החזר על נסיעה במונית"]),
    "parking": ([
        ("Need a parking spot", "Added to the parking waiting list"),
        ("My car plate is not recognized at the gate", "Updated the plate number in the parking system"),
        ("צריך מקום חניה", "נוסף לרשימת ההמתנה לחניה"),
        ("השער לא מזהה את מספר הרכב", "עודכן מספר הרכב במערכת החניה"),
    ], ["parking gate won't open", "אין לי חניה"]),
    "meeting_room": ([
        ("Meeting room screen doesn't connect", "Replaced the HDMI adapter in the room"),
        ("Can't book a meeting room in Outlook", "Granted booking rights on the room calendar"),
        ("המסך בחדר הישיבות לא מתחבר", "הוחלף מתאם HDMI בחדר"),
        ("לא מצליח להזמין חדר ישיבות", "ניתנה הרשאת הזמנה ליומן החדר"),
    ], ["booking a conference room fails", "המסך בחדר ישיבות לא עובד"]),
    "internet_down": ([
        ("No internet in the whole office", "ISP outage, restored by the provider"),
        ("Internet very slow today", "Replaced a faulty switch"),
        ("אין אינטרנט בכל המשרד", "תקלה אצל ספק האינטרנט, תוקנה"),
        ("האינטרנט איטי מאוד היום", "הוחלף מתג תקול"),
    ], ["internet is down", "הרשת נפלה"]),
    "windows_update": ([
        ("Windows update stuck at 30%", "Cleared the update cache and reran the update"),
        ("Laptop restarts for updates in meetings", "Set active hours for updates"),
        ("עדכון ווינדוס תקוע", "נוקה מטמון העדכונים והעדכון הורץ מחדש"),
        ("המחשב מתעדכן באמצע פגישות", "הוגדרו שעות פעילות לעדכונים"),
    ], ["windows update hangs", "העדכון של המחשב נתקע"]),
    "phishing": ([
        ("I got a suspicious email asking for my password", "Blocked the sender and purged the message"),
        ("Clicked a link in a phishing mail", "Reset password and scanned the laptop"),
        ("קיבלתי מייל חשוד שמבקש סיסמה", "נחסם השולח וההודעה נמחקה"),
        ("לחצתי על קישור במייל פישינג", "אופסה הסיסמה ונסרק המחשב"),
    ], ["phishing email received", "מייל מתחזה"]),
    "backup_restore": ([
        ("Deleted a file by mistake, can you restore it?", "Restored the file from last night's backup"),
        ("Need an old version of a document", "Restored the previous version from backup"),
        ("מחקתי קובץ בטעות, אפשר לשחזר?", "שוחזר הקובץ מהגיבוי של אתמול"),
        ("צריך גרסה קודמת של מסמך", "שוחזרה גרסה קודמת מהגיבוי"),
    ], ["restore deleted file", "לשחזר קובץ שנמחק"]),
    "scanner": ([
        ("Scan to email not working", "Updated the SMTP settings on the scanner"),
        ("Scanner doesn't save to the folder", "Fixed the scan folder permission"),
        ("סריקה למייל לא עובדת", "עודכנו הגדרות השליחה בסורק"),
        ("הסורק לא שומר לתיקייה", "תוקנה ההרשאה לתיקיית הסריקות"),
    ], ["scanning to mail fails", "הסורק לא שולח מייל"]),
    "chrome": ([
        ("Chrome keeps showing pop-ups", "Removed a malicious extension"),
        ("Browser homepage changed by itself", "Reset Chrome settings and removed adware"),
        ("כרום מציג חלונות קופצים", "הוסר תוסף זדוני"),
        ("דף הבית בדפדפן השתנה לבד", "אופסו הגדרות כרום"),
    ], ["pop ups in the browser", "חלונות קופצים בכרום"]),
    "erp_access": ([
        ("Need access to the ERP purchasing module", "Role added in the ERP after manager approval"),
        ("Priority ERP login fails", "Reset the ERP user"),
        ("צריך גישה למודול הרכש בפריוריטי", "נוספה הרשאה לאחר אישור מנהל"),
        ("לא מצליח להיכנס לפריוריטי", "אופס המשתמש בפריוריטי"),
    ], ["access to priority purchasing", "הרשאה למערכת ERP"]),
    "desk_phone": ([
        ("My desk phone has no dial tone", "Reconnected the phone to the network port"),
        ("Voicemail password forgotten", "Reset the voicemail PIN"),
        ("אין צליל חיוג בטלפון השולחני", "חובר מחדש הטלפון לשקע הרשת"),
        ("שכחתי את הקוד של התא הקולי", "אופס קוד התא הקולי"),
    ], ["desk phone dead", "הטלפון במשרד לא עובד"]),
    "dock": ([
        ("Docking station not charging my laptop", "Updated the dock firmware"),
        ("USB ports on the dock don't work", "Replaced the docking station"),
        ("תחנת העגינה לא טוענת את המחשב", "עודכנה הקושחה של תחנת העגינה"),
        ("יציאות ה-USB בתחנת העגינה לא עובדות", "הוחלפה תחנת העגינה"),
    ], ["dock usb not working", "הדוק לא עובד"]),
    "calendar_share": ([
        ("How do I share my calendar with my assistant?", "Gave the assistant delegate access in Outlook"),
        ("Can't see my colleague's calendar", "Colleague shared the calendar with full details"),
        ("איך משתפים יומן עם העוזרת?", "ניתנה הרשאת נציג באאוטלוק"),
        ("לא רואה את היומן של עמית", "העמית שיתף את היומן"),
    ], ["share outlook calendar", "לשתף את היומן שלי"]),
    "disk_full": ([
        ("Disk is full on my laptop", "Cleaned temp files and moved data to OneDrive"),
        ("Low disk space warning", "Ran disk cleanup, freed 40GB"),
        ("הדיסק במחשב מלא", "נוקו קבצים זמניים והועבר מידע לוואן דרייב"),
        ("התראה על מקום נמוך בדיסק", "בוצע ניקוי דיסק"),
    ], ["no space left on disk", "אין מקום בדיסק"]),
}

# Past requests no question asks about: they compete with the answers.
OTHERS: list[tuple[str, str]] = [
    ("Coffee machine on floor 2 is broken", "Facilities called the vendor"),
    ("Air conditioning too cold in the open space", "Thermostat set to 23"),
    ("Need a standing desk", "Ordered an adjustable desk"),
    ("Please add me to the marketing distribution list", "Added to the list"),
    ("Change my display name in Slack", "Display name updated"),
    ("Order business cards", "Business cards ordered"),
    ("Need a second chair in my office", "Chair delivered"),
    ("Light is flickering above my desk", "Replaced the bulb"),
    ("Request a company credit card", "Sent the request to finance"),
    ("Update my home address in HR records", "Address updated in HR system"),
    ("מכונת הקפה בקומה 2 מקולקלת", "הוזמן טכנאי"),
    ("קר מדי במזגן בחלל הפתוח", "הטמפרטורה כוונה ל-23"),
    ("צריך שולחן עמידה", "הוזמן שולחן מתכוונן"),
    ("להוסיף אותי לרשימת התפוצה של השיווק", "נוסף לרשימה"),
    ("להזמין כרטיסי ביקור", "הוזמנו כרטיסי ביקור"),
    ("המנורה מעל השולחן מהבהבת", "הוחלפה הנורה"),
    ("בקשה לכרטיס אשראי של החברה", "הבקשה הועברה לכספים"),
    ("לעדכן כתובת מגורים", "הכתובת עודכנה"),
    ("Need a training budget approval", "Approved by the manager"),
    ("אישור תקציב להשתלמות", "אושר על ידי המנהל"),
]

# New questions no past request answers (a threshold must show nothing for them): some
# share a word or two with past requests ("floor", "phone", "card"), as real ones do.
NEGATIVES: list[str] = [
    "Can I bring my dog to the office on Fridays",
    "The elevator is stuck between floor 4 and 5",
    "When is the company summer party this year",
    "Who pays for my mobile phone bill when I travel abroad",
    "Is there a gym discount for employees",
    "The fridge in the kitchen smells bad",
    "How do I nominate a colleague for the quarterly award",
    "Can I work from another country for a month",
    "The blinds in room 12 are broken",
    "Where do I recycle old batteries",
    "Our team needs a bigger whiteboard",
    "Who organises the company volunteering day",
    "Can we get vegan options in the cafeteria",
    "Lost my umbrella in the lobby yesterday",
    "I want to change my pension fund",
    "Who is the first aid officer on our floor",
    "Is the office open on the election day",
    "The water dispenser on floor 3 is leaking",
    "אפשר להביא את הכלב למשרד בימי שישי",
    "המעלית תקועה בין קומה 4 ל-5",
    "מתי מסיבת הקיץ של החברה השנה",
    "מי משלם על חשבון הטלפון הנייד כשאני בחו״ל",
    "יש הנחה לחדר כושר לעובדים",
    "המקרר במטבח מסריח",
    "איך ממליצים על עמית לפרס הרבעוני",
    "אפשר לעבוד ממדינה אחרת לחודש",
    "התריסים בחדר 12 שבורים",
    "איפה ממחזרים סוללות ישנות",
    "הצוות שלנו צריך לוח מחיק גדול יותר",
    "מי מארגן את יום ההתנדבות של החברה",
    "אפשר לקבל מנות טבעוניות בחדר האוכל",
    "איבדתי מטרייה בלובי אתמול",
    "אני רוצה להחליף קרן פנסיה",
    "מי אחראי העזרה הראשונה בקומה שלנו",
    "המשרד פתוח ביום הבחירות?",
    "מתקן המים בקומה 3 דולף",
]


def make(path: Path) -> dict[str, list[Any]]:
    """Write the labelled set as JSON: past requests with ids, questions with answers,
    and the negatives."""
    past: list[dict[str, object]] = []
    questions: list[dict[str, object]] = []
    for topic, (requests, asked) in TOPICS.items():
        ids = []
        for text, note in requests:
            ids.append(len(past) + 1)
            past.append({"id": len(past) + 1, "topic": topic, "text": text, "note": note})
        for question in asked:
            questions.append({"text": question, "answers": ids})
    for text, note in OTHERS:
        past.append({"id": len(past) + 1, "topic": "other", "text": text, "note": note})
    data: dict[str, list[Any]] = {"past": past, "questions": questions,
                                  "negatives": NEGATIVES}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return data


if __name__ == "__main__":
    made = make(Path(__file__).with_name("knowledge.json"))
    print(len(made["past"]), "past requests,", len(made["questions"]), "questions,",
          len(made["negatives"]), "negatives")
