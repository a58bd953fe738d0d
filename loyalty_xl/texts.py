"""Every text a reader sees in the report and the staff templates, in English and German.

One table, :data:`TEXTS`: key -> (English, German). Texts may hold ``{fields}`` filled by
:func:`text` (for instance the activity window in force). The report template generator, the
report builder and the staff templates all take their words from here; nothing else translates.

>>> text("kpi.churn_rate", "de")
'Abwanderungsrate'
>>> Texts("en")("def.lost_customers", activity_days=90)
'Active at the start, not at the end (activity window: 90 days)'
"""

from __future__ import annotations

LANGS = ("en", "de")

TEXTS: dict[str, tuple[str, str]] = {
    # --- KPI labels (the period table's columns) --------------------------------------------
    "kpi.nps": ("Net Promoter Score", "Net Promoter Score"),
    "kpi.csat": ("Customer satisfaction (CSAT)", "Kundenzufriedenheit (CSAT)"),
    "kpi.ces": ("Customer Effort Score", "Customer Effort Score"),
    "kpi.cli": ("Customer Loyalty Index", "Kundenloyalitätsindex"),
    "kpi.retention_rate": ("Retention rate", "Kundenbindungsrate"),
    "kpi.churn_rate": ("Churn rate", "Abwanderungsrate"),
    "kpi.repeat_purchase_rate": ("Repeat purchase rate", "Wiederkaufrate"),
    "kpi.average_purchase_value": ("Average purchase value", "Durchschnittlicher Bestellwert"),
    "kpi.purchase_frequency": ("Purchase frequency", "Kauffrequenz"),
    "kpi.customer_value": ("Customer value", "Kundenwert"),
    "kpi.average_customer_lifespan": ("Average customer lifespan (years)",
                                      "Durchschnittliche Kundenlebensdauer (Jahre)"),
    "kpi.customer_lifetime_value": ("Customer lifetime value", "Customer Lifetime Value"),
    "kpi.customer_acquisition_cost": ("Customer acquisition cost", "Kundengewinnungskosten"),
    "kpi.clv_cac_ratio": ("CLV : CAC", "CLV : CAC"),
    "kpi.participation_rate": ("Programme participation", "Programmteilnahme"),
    "kpi.redemption_rate": ("Redemption rate", "Einlösequote"),
    "kpi.active_engagement_rate": ("Active engagement", "Aktive Nutzung"),
    "kpi.customers": ("Ordering customers", "Bestellende Kunden"),
    "kpi.new_customers": ("New customers", "Neukunden"),
    "kpi.lost_customers": ("Lost customers", "Verlorene Kunden"),
    "kpi.orders": ("Orders", "Bestellungen"),
    "kpi.revenue": ("Revenue", "Umsatz"),
    "kpi.period": ("Period", "Zeitraum"),
    "kpi.period_label": ("Label", "Beschriftung"),
    "kpi.nps_low": ("NPS low", "NPS unten"),
    "kpi.nps_high": ("NPS high", "NPS oben"),
    "kpi.nps_band": ("NPS interval", "NPS-Intervall"),
    "kpi.nps_responses": ("NPS answers", "NPS-Antworten"),
    "kpi.customers_start": ("Customers at start", "Kunden am Anfang"),
    "kpi.customers_end": ("Customers at end", "Kunden am Ende"),
    "kpi.spend": ("Spend", "Ausgaben"),
    "kpi.warm_up": ("Warm-up", "Anlaufphase"),
    # --- KPI definitions (About sheet), from the settings in force ---------------------------
    "def.nps": ("% promoters (9-10) minus % detractors (0-6), in points; 95% interval: "
                "adjusted Wald",
                "% Promotoren (9-10) minus % Detraktoren (0-6), in Punkten; 95%-Intervall: "
                "angepasstes Wald-Intervall"),
    "def.csat": ("Share of satisfied answers (top two boxes of the {csat_scale} scale)",
                 "Anteil zufriedener Antworten (die zwei besten Stufen der Skala {csat_scale})"),
    "def.ces": ("Mean agreement that we made it easy, scale {ces_scale}",
                "Mittlere Zustimmung: es war einfach, Skala {ces_scale}"),
    "def.cli": ("Recommend, buy again, try other products: 0-100",
                "Weiterempfehlen, wieder kaufen, andere Produkte: 0-100"),
    "def.retention_rate": ("(Customers at end - acquired) / customers at start; acquired = "
                           "new and reactivated customers",
                           "(Kunden am Ende - gewonnene) / Kunden am Anfang; gewonnen = neue "
                           "und reaktivierte Kunden"),
    "def.churn_rate": ("Customers lost / customers at start",
                       "Verlorene Kunden / Kunden am Anfang"),
    "def.repeat_purchase_rate": ("Customers with 2+ orders / customers with 1+ ({trailing})",
                                 "Kunden mit 2+ Bestellungen / Kunden mit 1+ ({trailing})"),
    "def.average_purchase_value": ("Revenue / orders ({trailing})",
                                   "Umsatz / Bestellungen ({trailing})"),
    "def.purchase_frequency": ("Orders / customers ({trailing})",
                               "Bestellungen / Kunden ({trailing})"),
    "def.customer_value": ("Average purchase value x purchase frequency",
                           "Bestellwert x Kauffrequenz"),
    "def.average_customer_lifespan": ("Mean time between first and last order (all history)",
                                      "Mittlere Zeit zwischen erster und letzter Bestellung "
                                      "(gesamte Historie)"),
    "def.customer_lifetime_value": ("Purchase value x frequency per year x lifespan in years",
                                    "Bestellwert x Kauffrequenz pro Jahr x Lebensdauer in "
                                    "Jahren"),
    "def.customer_acquisition_cost": ("(Marketing + sales spend) / new customers",
                                      "(Marketing- + Vertriebskosten) / Neukunden"),
    "def.clv_cac_ratio": ("Lifetime value / acquisition cost",
                          "Lifetime Value / Gewinnungskosten"),
    "def.participation_rate": ("Programme members / all customers",
                               "Programmmitglieder / alle Kunden"),
    "def.redemption_rate": ("Points redeemed / points issued {in_unit}",
                            "Eingelöste / ausgegebene Punkte {in_unit}"),
    "def.active_engagement_rate": ("Members who earned or redeemed in the last "
                                   "{engagement_days} days / members",
                                   "Mitglieder mit Punkten in den letzten {engagement_days} "
                                   "Tagen / Mitglieder"),
    "def.customers": ("Customers who ordered {in_unit}",
                      "Kunden mit Bestellung {in_unit}"),
    "def.new_customers": ("First-ever order {in_unit}", "Erste Bestellung {in_unit}"),
    "def.lost_customers": ("Active at the start, not at the end (activity window: "
                           "{activity_days} days)",
                           "Aktiv am Anfang, nicht am Ende (Aktivitätsfenster: {activity_days} "
                           "Tage)"),
    "def.orders": ("Orders {in_unit}", "Bestellungen {in_unit}"),
    "def.revenue": ("Net revenue {in_unit} (after refunds)",
                    "Nettoumsatz {in_unit} (nach Erstattungen)"),
    "kpi.active": ("Active customer", "Aktiver Kunde"),
    "def.active": ("Ordered in the {activity_days} days before a date (the activity window). "
                   "Periods: {units}.",
                   "Hat in den {activity_days} Tagen vor einem Stichtag bestellt "
                   "(Aktivitätsfenster). Zeiträume: {units}."),
    "def.warm_up": ("{Units} whose start is less than {activity_days} days after the "
                    "first order in the data: retention, churn, new and lost customers are not "
                    "yet comparable there, and their changes are not coloured.",
                    "{Units}, deren Beginn weniger als {activity_days} Tage nach "
                    "der ersten Bestellung der Daten liegt: Bindung, Abwanderung, Neukunden und "
                    "verlorene Kunden sind dort noch nicht vergleichbar, ihre Änderungen werden "
                    "nicht eingefärbt."),
    "trailing": ("last {trailing_months} months", "letzte {trailing_months} Monate"),
    # --- period units -----------------------------------------------------------------------
    "unit.month": ("month|months|in the month", "Monat|Monate|im Monat"),
    "unit.week": ("week|weeks|in the week", "Woche|Wochen|in der Woche"),
    "unit.quarter": ("quarter|quarters|in the quarter", "Quartal|Quartale|im Quartal"),
    "unit.year": ("year|years|in the year", "Jahr|Jahre|im Jahr"),
    "months": ("Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec",
               "Jan|Feb|Mär|Apr|Mai|Jun|Jul|Aug|Sep|Okt|Nov|Dez"),
    "week_short": ("W", "KW"),
    # --- report sheets and labels -----------------------------------------------------------
    "title": ("Customer loyalty report", "Kundenloyalitätsbericht"),
    "period": ("Period", "Zeitraum"),
    "generated": ("Generated", "Erstellt"),
    "kpi": ("KPI", "Kennzahl"),
    "current": ("This period", "Dieser Zeitraum"),
    "previous": ("Previous period", "Vorheriger Zeitraum"),
    "change": ("Change", "Änderung"),
    "year_ago": ("Same period last year", "Vorjahreszeitraum"),
    "interval": ("NPS 95% interval", "NPS 95%-Intervall"),
    "segments": ("NPS by segment, this period", "NPS nach Segment, dieser Zeitraum"),
    "segment_columns": ("Segment|Answers|NPS|95% low|95% high",
                        "Segment|Antworten|NPS|95% unten|95% oben"),
    "summary_sheet": ("Summary", "Übersicht"),
    "periods_sheet": ("Periods", "Zeiträume"),
    "charts_sheet": ("Charts", "Diagramme"),
    "cohorts_sheet": ("Cohorts", "Kohorten"),
    "quality_sheet": ("Data quality", "Datenqualität"),
    "about_sheet": ("About", "Info"),
    "cohorts_title": ("Cohort retention: share of each {unit}'s new customers ordering k "
                      "{units} later",
                      "Kohortenbindung: Anteil der Neukunden je {unit}, die k {units} später "
                      "bestellen"),
    "quality_title": ("Data quality: rows read, used and excluded per input",
                      "Datenqualität: gelesene, verwendete und ausgeschlossene Zeilen"),
    "about_title": ("About this report", "Über diesen Bericht"),
    "inputs": ("Inputs", "Eingaben"),
    "settings": ("Settings", "Einstellungen"),
    "version": ("loyalty_xl version", "loyalty_xl-Version"),
    "definitions": ("Definitions", "Definitionen"),
    "chart_nps": ("Net Promoter Score with 95% interval", "Net Promoter Score mit 95%-Intervall"),
    "chart_retention": ("Retention rate", "Kundenbindungsrate"),
    "chart_churn": ("Churn rate", "Abwanderungsrate"),
    "chart_clv": ("Customer lifetime value and acquisition cost",
                  "Customer Lifetime Value und Gewinnungskosten"),
    "chart_programme": ("Loyalty programme", "Kundenprogramm"),
    "axis_points": ("Points", "Punkte"),
    "axis_share": ("Share of customers at start", "Anteil der Kunden am Anfang"),
    "axis_money": ("Amount ({currency})", "Betrag ({currency})"),
    "axis_rate": ("Rate", "Quote"),
    "axis_period": ("Period", "Zeitraum"),
    "excluded": ("Rows excluded", "Ausgeschlossene Zeilen"),
    "notes": ("Notes", "Hinweise"),
    "customers_n": ("Customers", "Kunden"),
    "quality_columns": ("Input|Source|Read as|Rows read|Rows used|Reason|Rows excluded|"
                        "Examples (row: value)",
                        "Eingabe|Quelle|Gelesen als|Zeilen gelesen|Zeilen verwendet|Grund|"
                        "Zeilen ausgeschlossen|Beispiele (Zeile: Wert)"),
    # How an input file was read (detected or given with read options), per setting:
    "read.encoding": ("{value}", "{value}"),
    "read.delimiter": ("delimiter {value}", "Trennzeichen {value}"),
    "read.decimal": ("decimal {value}", "Dezimalzeichen {value}"),
    "read.date format": ("dates {value}", "Datumsformat {value}"),
    "pp_note": ("Changes of rates are in percentage points (pp).",
                "Änderungen von Quoten in Prozentpunkten (Pp.)."),
    "pp": ("pp", "Pp."),
    "warm_up_mark": ("warm-up", "Anlauf"),
    "period_range": ("{first} – {last} ({n} {units})", "{first} – {last} ({n} {units})"),
    "settings_text": ("{units}, activity window {activity_days} days, trailing window "
                      "{trailing_months} months, programme activity {engagement_days} days, "
                      "CSAT scale {csat_scale}, CES scale {ces_scale}, NPS interval "
                      "{confidence} (adjusted Wald), currency {currency}",
                      "{units}, Aktivitätsfenster {activity_days} Tage, gleitendes Fenster "
                      "{trailing_months} Monate, Programmaktivität {engagement_days} Tage, "
                      "CSAT-Skala {csat_scale}, CES-Skala {ces_scale}, NPS-Intervall "
                      "{confidence} (angepasstes Wald-Intervall), Währung {currency}"),
    "row_value": ("row {row}: {value}", "Zeile {row}: {value}"),
    "blank_value": ("(blank)", "(leer)"),
    # --- inputs and exclusion reasons of the engine -----------------------------------------
    "input.orders": ("orders", "Bestellungen"),
    "input.responses": ("responses", "Antworten"),
    "input.spend": ("spend", "Ausgaben"),
    "input.members": ("members", "Mitglieder"),
    "input.events": ("events", "Punktebuchungen"),
    "reason.missing customer id": ("missing customer id", "Kundennummer fehlt"),
    "reason.unparseable order date": ("unparseable order date", "Bestelldatum nicht lesbar"),
    "reason.unparseable amount": ("unparseable amount", "Betrag nicht lesbar"),
    "reason.duplicate order id": ("duplicate order id", "doppelte Bestellnummer"),
    "reason.unparseable answer date": ("unparseable answer date", "Antwortdatum nicht lesbar"),
    "reason.unknown metric": ("unknown metric", "unbekannte Kennzahl"),
    "reason.number stored as text": ("number stored as text", "Zahl als Text gespeichert"),
    "reason.score is not a number": ("score is not a number", "Wert ist keine Zahl"),
    "reason.score is not a whole number": ("score is not a whole number",
                                           "Wert ist keine ganze Zahl"),
    "reason.score off its scale": ("score off its scale", "Wert außerhalb der Skala"),
    "reason.weight is not a number >= 0": ("weight is not a number >= 0",
                                           "Gewicht ist keine Zahl >= 0"),
    "reason.CLI answer without respondent_id": ("CLI answer without respondent_id",
                                                "CLI-Antwort ohne respondent_id"),
    "reason.CLI question answered twice by a respondent": (
        "CLI question answered twice by a respondent",
        "CLI-Frage von einem Befragten doppelt beantwortet"),
    "reason.unparseable date or period": ("unparseable date or period",
                                          "Datum oder Zeitraum nicht lesbar"),
    "reason.amount is not a number >= 0": ("amount is not a number >= 0",
                                           "Betrag ist keine Zahl >= 0"),
    "reason.kind is not marketing or sales": ("kind is not marketing or sales",
                                              "Art ist weder marketing noch sales"),
    "reason.unparseable joined_at date": ("unparseable joined_at date",
                                          "Beitrittsdatum nicht lesbar"),
    "reason.member listed twice": ("member listed twice", "Mitglied doppelt aufgeführt"),
    "reason.unparseable date": ("unparseable date", "Datum nicht lesbar"),
    "reason.kind is not issued or redeemed": ("kind is not issued or redeemed",
                                              "Art ist weder issued noch redeemed"),
    "reason.points is not a number >= 0": ("points is not a number >= 0",
                                           "Punkte sind keine Zahl >= 0"),
    "note.refunds": ("{n} refunds (negative amounts, total {total}) reduce revenue in their "
                     "period; they are not orders and do not make a customer active",
                     "{n} Erstattungen (negative Beträge, zusammen {total}) mindern den Umsatz "
                     "ihres Zeitraums; sie sind keine Bestellungen und machen niemanden aktiv"),
    # --- how numbers are written (in text; cells get Excel formats, shown in the reader's locale)
    "fmt.separators": (",.", ".,"),  # thousands, decimal
    "fmt.datetime": ("%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"),
    "fmt.money": ("{symbol}{number}", "{number} {symbol}"),
    "fmt.money_excel": ('"{symbol}"#,##0.00', '#,##0.00" {symbol}"'),
    "fmt.percent": ("{number}%", "{number} %"),
    # --- the starter workbook of the Excel functions (excel_starter.py) -------------------
    "starter.title": ("Loyalty KPI Excel functions", "Loyalty-Kennzahlen als Excel-Funktionen"),
    "starter.sheet": ("Functions", "Funktionen"),
    "starter.heading": (
        "Customer-loyalty KPIs as Excel functions",
        "Kundenbindungs-Kennzahlen als Excel-Funktionen"),
    "starter.note_every": (
        "Every function of loyalty_xl, used once on the sample data of the sheet 'Data'. The "
        "green cells show what the library computed for that data; with the functions installed, "
        "Excel recomputes them live (press Ctrl+Alt+F9 once).",
        "Jede Funktion von loyalty_xl, einmal angewandt auf die Beispieldaten im Blatt 'Data'. "
        "Die grünen Zellen zeigen, was die Bibliothek für diese Daten berechnet hat; mit "
        "installierten Funktionen rechnet Excel sie live neu (einmal Strg+Alt+F9)."),
    "starter.note_lite": (
        "xlwings Lite: run `loyalty-xl excel lite` and paste main.py and requirements.txt into "
        "the add-in; the formulas here are stored as Lite's functions (=NPS(...)).",
        "xlwings Lite: `loyalty-xl excel lite` ausführen und main.py und requirements.txt in das "
        "Add-in einfügen; die Formeln hier sind als Lite-Funktionen gespeichert (=NPS(...))."),
    "starter.note_classic": (
        "Classic xlwings (Windows): after xlwings > Import Functions, type the formula of column "
        "C again. xlwings Server: the same with its namespace, e.g. =XLWINGS.NPS(...).",
        "Klassisches xlwings (Windows): nach xlwings > Import Functions die Formel aus Spalte C "
        "neu eingeben. xlwings Server: ebenso mit Namensraum, z. B. =XLWINGS.NPS(...)."),
    "starter.note_libreoffice": (
        "LibreOffice recomputes tables that spill (array formulas) on opening and shows #NAME? "
        "there, as it has no Python functions; Excel shows the stored values.",
        "LibreOffice berechnet überlaufende Tabellen (Matrixformeln) beim Öffnen neu und zeigt "
        "dort #NAME?, da es keine Python-Funktionen hat; Excel zeigt die gespeicherten Werte."),
    "starter.function": ("Function", "Funktion"),
    "starter.returns": ("What it returns", "Was sie liefert"),
    "starter.formula": ("Formula", "Formel"),
    "starter.result": ("Result", "Ergebnis"),
    "starter.also": ("Also available", "Außerdem verfügbar"),
    "starter.col.A": ("NPS answer (0-10)", "NPS-Antwort (0-10)"),
    "starter.col.B": ("Segment", "Segment"),
    "starter.col.C": ("NPS answer, last year", "NPS-Antwort, Vorjahr"),
    "starter.col.D": ("CSAT answer (1-5)", "CSAT-Antwort (1-5)"),
    "starter.col.E": ("CES answer (1-7)", "CES-Antwort (1-7)"),
    "starter.col.F": ("CLI: recommend (1-6)", "CLI: empfehlen (1-6)"),
    "starter.col.G": ("CLI: buy again (1-6)", "CLI: wieder kaufen (1-6)"),
    "starter.col.H": ("CLI: other products (1-6)", "CLI: andere Produkte (1-6)"),
    "starter.col.J": ("Customer id", "Kundennummer"),
    "starter.col.K": ("Order date", "Bestelldatum"),
    "starter.col.M": ("Period", "Zeitraum"),
    "starter.col.N": ("Customers at start", "Kunden am Anfang"),
    "starter.col.O": ("Customers at end", "Kunden am Ende"),
    "starter.col.P": ("New customers", "Neukunden"),
    "starter.col.Q": ("Lost customers", "Verlorene Kunden"),
    "starter.col.R": ("Programme members", "Programmmitglieder"),
    "starter.col.S": ("Points issued", "Punkte ausgegeben"),
    "starter.col.T": ("Points redeemed", "Punkte eingelöst"),
    "starter.col.U": ("Active members (90 days)", "Aktive Mitglieder (90 Tage)"),
    "starter.col.W": ("Last 12 months", "Letzte 12 Monate"),
    "starter.w0": ("Revenue", "Umsatz"),
    "starter.w1": ("Orders", "Bestellungen"),
    "starter.w2": ("Customers who ordered", "Kunden mit Bestellung"),
    "starter.w3": ("Marketing spend", "Marketingkosten"),
    "starter.w4": ("Sales spend", "Vertriebskosten"),
    "starter.w5": ("New customers", "Neukunden"),
    "starter.col.X": ("Value", "Wert"),
    "starter.fn.NPS": (
        "Net Promoter Score in points (-100 to 100): % promoters (9-10) minus % detractors (0-6).",
        "Net Promoter Score in Punkten (-100 bis 100): % Promotoren (9-10) minus % Detraktoren "
        "(0-6)."),
    "starter.fn.NPS_BREAKDOWN": (
        "A table: count and share of promoters, passives and detractors, the total and NPS.",
        "Eine Tabelle: Anzahl und Anteil der Promotoren, Passiven und Detraktoren, Summe und NPS."),
    "starter.fn.NPS_INTERVAL": (
        "Low and high end of the 95% confidence interval of the NPS (adjusted Wald).",
        "Untere und obere Grenze des 95%-Konfidenzintervalls des NPS (adjusted Wald)."),
    "starter.fn.NPS_TEST": (
        "Difference of two NPS (this year - last year, points), z and the p-value.",
        "Differenz zweier NPS (dieses Jahr - Vorjahr, Punkte), z und der p-Wert."),
    "starter.fn.NPS_BY": (
        "NPS per segment: answers, NPS and its interval.",
        "NPS je Segment: Antworten, NPS und sein Intervall."),
    "starter.fn.CSAT": (
        "Customer satisfaction: share of 4s and 5s (blank cells are skipped).",
        "Kundenzufriedenheit: Anteil der 4er und 5er (leere Zellen zählen nicht)."),
    "starter.fn.CSAT_MEAN": (
        "Mean satisfaction answer on the 1-5 scale.",
        "Mittlere Zufriedenheit auf der Skala 1-5."),
    "starter.fn.CES": (
        "Customer Effort Score: mean agreement (1-7) that the company made it easy.",
        "Customer Effort Score: mittlere Zustimmung (1-7), dass es einfach war."),
    "starter.fn.CLI": (
        "Customer Loyalty Index (0-100) from three 1-6 answers per respondent.",
        "Customer Loyalty Index (0-100) aus drei Antworten 1-6 je Befragtem."),
    "starter.fn.RETENTION_RATE": (
        "Retention rate per month: (customers at end - new) / customers at start.",
        "Bindungsrate je Monat: (Kunden am Ende - Neukunden) / Kunden am Anfang."),
    "starter.fn.CHURN_RATE": (
        "Churn rate per month: lost customers / customers at start.",
        "Abwanderungsrate je Monat: verlorene Kunden / Kunden am Anfang."),
    "starter.fn.REPEAT_PURCHASE_RATE": (
        "Share of customers with two or more orders.",
        "Anteil der Kunden mit zwei oder mehr Bestellungen."),
    "starter.fn.RETURNING_RATIO": (
        "Returning customers (2+ orders) per one-time customer.",
        "Wiederkehrende Kunden (2+ Bestellungen) je Einmalkunde."),
    "starter.fn.AVG_PURCHASE_VALUE": (
        "Average purchase value: revenue / orders (last 12 months).",
        "Durchschnittlicher Bestellwert: Umsatz / Bestellungen (letzte 12 Monate)."),
    "starter.fn.PURCHASE_FREQUENCY": (
        "Orders per customer in a year.",
        "Bestellungen je Kunde und Jahr."),
    "starter.fn.CUSTOMER_VALUE": (
        "Customer value per year: purchase value x frequency.",
        "Kundenwert pro Jahr: Bestellwert x Häufigkeit."),
    "starter.fn.CUSTOMER_LIFESPAN": (
        "Average time between a customer's first and last order, in years.",
        "Mittlere Zeit zwischen erster und letzter Bestellung eines Kunden, in Jahren."),
    "starter.fn.CLV": (
        "Customer lifetime value: purchase value x frequency per year x lifespan in years.",
        "Kundenlebenszeitwert: Bestellwert x Häufigkeit pro Jahr x Lebensdauer in Jahren."),
    "starter.fn.CAC": (
        "Customer acquisition cost: (marketing + sales spend) / new customers.",
        "Kundengewinnungskosten: (Marketing- + Vertriebskosten) / Neukunden."),
    "starter.fn.CLV_CAC_RATIO": (
        "Lifetime value per acquisition cost (3 or more is the usual rule of thumb).",
        "Lebenszeitwert je Gewinnungskosten (Faustregel: 3 oder mehr)."),
    "starter.fn.COHORT_RETENTION": (
        "Cohort matrix: share of each first-order year's customers ordering k years later.",
        "Kohortenmatrix: Anteil der Kunden jedes Erstbestell-Jahres, die k Jahre später "
        "bestellen."),
    "starter.fn.PARTICIPATION_RATE": (
        "Programme members / all customers (latest month).",
        "Programmmitglieder / alle Kunden (letzter Monat)."),
    "starter.fn.REDEMPTION_RATE": (
        "Points redeemed / issued (TRUE: points issued earlier may be redeemed now).",
        "Eingelöste / ausgegebene Punkte (WAHR: früher ausgegebene Punkte zählen mit)."),
    "starter.fn.ACTIVE_ENGAGEMENT_RATE": (
        "Members who earned or redeemed in the last 90 days / all members.",
        "Mitglieder mit Punkten in den letzten 90 Tagen / alle Mitglieder."),
    # --- staff templates: common ------------------------------------------------------------
    "staff.no_answers": ("no answers yet", "noch keine Antworten"),
    "staff.no_data": ("no data yet", "noch keine Daten"),
    "staff.check": ("check the inputs", "Eingaben prüfen"),
    "staff.text_number": ("number stored as text", "Zahl als Text"),
    "staff.invalid_title": ("Not a valid entry", "Ungültige Eingabe"),
    "staff.instructions": ("Instructions", "Anleitung"),
    "staff.results": ("Results", "Ergebnisse"),
    "staff.periods": ("Periods", "Zeiträume"),
    "staff.answers": ("Answers", "Antworten"),
    "staff.latest": ("Latest period", "Letzter Zeitraum"),
    "staff.period": ("Period", "Zeitraum"),
    "staff.last_row": ("Row of the latest period in the table", "Tabellenzeile des letzten "
                       "Zeitraums"),
    "staff.valid": ("ok", "ok"),
    "staff.status.number stored as text": ("number stored as text", "Zahl als Text"),
    "staff.status.score is not a number": ("not a number", "keine Zahl"),
    "staff.status.score is not a whole number": ("not a whole number", "keine ganze Zahl"),
    "staff.status.score off its scale": ("off the scale", "außerhalb der Skala"),
    "staff.periods_howto": (
        "One period (e.g. a month) per row, oldest first; blank rows are allowed. The green "
        "columns compute each period's KPIs; the sheet 'Results' shows the last filled row. "
        "A number typed as text is marked red and its row shows 'number stored as text'. "
        "Until there are data the results show 'no data yet'. Room for {rows} periods; the "
        "sheets are protected without a password.",
        "Ein Zeitraum (z. B. Monat) pro Zeile, der älteste zuerst; Leerzeilen sind erlaubt. "
        "Die grünen Spalten rechnen die Kennzahlen je Zeitraum; das Blatt 'Ergebnisse' zeigt "
        "die letzte gefüllte Zeile. Eine als Text eingegebene Zahl wird rot markiert, ihre "
        "Zeile zeigt 'Zahl als Text'. Ohne Daten steht dort 'noch keine Daten'. Platz für "
        "{rows} Zeiträume; die Blätter sind ohne Kennwort geschützt."),
    "staff.count_rule": ("{what}: a whole number, 0 or more", "{what}: ganze Zahl ab 0"),
    "staff.amount_rule": ("{what}: a number, 0 or more", "{what}: Zahl ab 0"),
    "staff.period_rule": ("The period's name, e.g. 2026-10", "Name des Zeitraums, z. B. 2026-10"),
    "staff.not_defined": ("not defined", "nicht definiert"),
    # --- staff: survey ----------------------------------------------------------------------
    "survey.title": ("Survey KPIs", "Umfrage-Kennzahlen"),
    "survey.howto_title": ("Survey KPIs: how to use this workbook",
                           "Umfrage-Kennzahlen: so nutzen Sie diese Arbeitsmappe"),
    "survey.step1": ("1. Go to the sheet 'Answers'. Type or paste one answer per row into the "
                     "yellow cells of the table for that question (NPS, CSAT, CES, CLI).",
                     "1. Gehen Sie zum Blatt 'Antworten'. Tragen Sie je Zeile eine Antwort in "
                     "die gelben Zellen der Tabelle zur Frage ein (NPS, CSAT, CES, CLI)."),
    "survey.step2": ("2. NPS: 'How likely are you to recommend us?' 0-10. CSAT: satisfaction "
                     "1-5. CES: 'The company made it easy for me' 1-7. CLI: three questions "
                     "answered 1-6, where 1 is best (recommend, buy again, try other "
                     "products); one respondent per row.",
                     "2. NPS: 'Wie wahrscheinlich empfehlen Sie uns weiter?' 0-10. CSAT: "
                     "Zufriedenheit 1-5. CES: 'Das Unternehmen hat es mir leicht gemacht' 1-7. "
                     "CLI: drei Fragen, Antworten 1-6, 1 ist am besten (empfehlen, wieder "
                     "kaufen, andere Produkte); ein Befragter pro Zeile."),
    "survey.step3": ("3. The date and segment columns are optional; fill the date if the "
                     "answers should go into the monthly report (loyalty-xl report "
                     "--responses this-file.xlsx).",
                     "3. Datum und Segment sind freiwillig; tragen Sie das Datum ein, wenn die "
                     "Antworten in den Monatsbericht sollen (loyalty-xl report --responses "
                     "diese-Datei.xlsx)."),
    "survey.step4": ("4. The sheet 'Results' computes everything at once; until there are "
                     "answers it shows 'no answers yet'. Only whole numbers on the scale "
                     "count. Anything else (7.5, 11, the text \"9\" pasted from elsewhere) "
                     "is marked red, named in the Check column and counted on 'Results' as "
                     "invalid, never used.",
                     "4. Das Blatt 'Ergebnisse' rechnet alles sofort aus; ohne Antworten steht "
                     "dort 'noch keine Antworten'. Nur ganze Zahlen der Skala zählen. Alles "
                     "andere (7,5, 11, der aus anderen Quellen eingefügte Text \"9\") wird rot "
                     "markiert, in der Spalte Prüfung benannt und auf 'Ergebnisse' als "
                     "ungültig gezählt, nie verwendet."),
    "survey.step5": ("5. Each table has room for {rows} answers. The sheets are protected "
                     "without a password so formulas are not overwritten by accident "
                     "(Review > Unprotect Sheet).",
                     "5. Jede Tabelle hat Platz für {rows} Antworten. Die Blätter sind ohne "
                     "Kennwort geschützt, damit Formeln nicht versehentlich überschrieben "
                     "werden (Überprüfen > Blattschutz aufheben)."),
    "survey.definitions": ("Definitions: NPS = % promoters (9-10) - % detractors (0-6), in "
                           "points; its 95% interval is the adjusted Wald interval (Rocks "
                           "2016). CSAT = share of 4s and 5s. CES = mean answer. CLI: answers "
                           "1-6 score {points}; each respondent's mean over the questions "
                           "they answered validly, averaged over respondents.",
                           "Definitionen: NPS = % Promotoren (9-10) - % Detraktoren (0-6), in "
                           "Punkten; das 95%-Intervall ist das angepasste Wald-Intervall "
                           "(Rocks 2016). CSAT = Anteil der 4 und 5. CES = mittlere Antwort. "
                           "CLI: Antworten 1-6 zählen {points}; je Befragtem der Mittelwert "
                           "der gültig beantworteten Fragen, gemittelt über alle."),
    "survey.answers_title": ("Survey answers", "Umfrageantworten"),
    "survey.answers_hint": ("Yellow cells are inputs. One answer (CLI: one respondent) per "
                            "row. Red: not a valid answer (see the Check column).",
                            "Gelbe Zellen sind Eingaben. Eine Antwort (CLI: ein Befragter) "
                            "pro Zeile. Rot: keine gültige Antwort (siehe Spalte Prüfung)."),
    "survey.date_rule": ("A date (optional), e.g. 2026-10-15", "Ein Datum (freiwillig)"),
    "survey.segment_rule": ("Optional segment, up to 100 characters",
                            "Segment (freiwillig), bis 100 Zeichen"),
    "survey.date": ("Date", "Datum"),
    "survey.score": ("Score", "Wert"),
    "survey.check": ("Check", "Prüfung"),
    "survey.points": ("Points", "Punkte"),
    "survey.invalid": ("Invalid", "Ungültig"),
    "survey.nps_rule": ("NPS: a whole number from 0 to 10", "NPS: ganze Zahl 0 bis 10"),
    "survey.csat_rule": ("CSAT: a whole number from 1 to 5", "CSAT: ganze Zahl 1 bis 5"),
    "survey.ces_rule": ("CES: a whole number from 1 to 7", "CES: ganze Zahl 1 bis 7"),
    "survey.cli_rule": ("CLI: a whole number from 1 (best) to 6",
                        "CLI: ganze Zahl von 1 (am besten) bis 6"),
    "survey.recommend": ("Recommend", "Empfehlen"),
    "survey.buy_again": ("BuyAgain", "WiederKaufen"),
    "survey.other_products": ("OtherProducts", "AndereProdukte"),
    "survey.results_title": ("Survey results", "Umfrageergebnisse"),
    "survey.interval": ("NPS 95% interval (low, high)", "NPS 95%-Intervall (unten, oben)"),
    "survey.count": ("Count", "Anzahl"),
    "survey.share": ("Share", "Anteil"),
    "survey.promoters": ("Promoters (9-10)", "Promotoren (9-10)"),
    "survey.passives": ("Passives (7-8)", "Passive (7-8)"),
    "survey.detractors": ("Detractors (0-6)", "Detraktoren (0-6)"),
    "survey.answers_n": ("Valid answers", "Gültige Antworten"),
    "survey.csat_mean": ("Mean satisfaction (1-5)", "Mittlere Zufriedenheit (1-5)"),
    "survey.invalid_title": ("Entries that are not valid answers (not used)",
                             "Ungültige Einträge (nicht verwendet)"),
    "survey.workings": ("Workings of the NPS interval", "Rechenweg des NPS-Intervalls"),
    "survey.breakdown": ("NPS breakdown", "NPS-Aufteilung"),
    # --- staff: retention -------------------------------------------------------------------
    "retention.title": ("Retention and churn", "Kundenbindung und Abwanderung"),
    "retention.start": ("CustomersStart", "KundenAnfang"),
    "retention.end": ("CustomersEnd", "KundenEnde"),
    "retention.new": ("NewCustomers", "Neukunden"),
    "retention.reactivated": ("Reactivated", "Reaktivierte"),
    "retention.lost": ("LostCustomers", "VerloreneKunden"),
    "retention.acquired": ("Acquired", "Gewonnene"),
    "retention.rate": ("RetentionRate", "Bindungsrate"),
    "retention.churn": ("ChurnRate", "Abwanderungsrate"),
    "retention.start_rule": ("Customers active at the start", "Aktive Kunden am Anfang"),
    "retention.end_rule": ("Customers active at the end", "Aktive Kunden am Ende"),
    "retention.new_rule": ("New customers (first order ever) in the period",
                           "Neukunden (erste Bestellung) im Zeitraum"),
    "retention.reactivated_rule": ("Reactivated customers (ordered before, not active at the "
                                   "start, ordered in the period)",
                                   "Reaktivierte Kunden (früher bestellt, am Anfang nicht "
                                   "aktiv, im Zeitraum bestellt)"),
    "retention.lost_rule": ("Customers lost in the period", "Verlorene Kunden"),
    "retention.no_start": ("no customers at start", "keine Kunden am Anfang"),
    "retention.rate_label": ("Retention rate", "Kundenbindungsrate"),
    "retention.churn_label": ("Churn rate", "Abwanderungsrate"),
    "retention.howto": ("Acquired = new + reactivated customers (the counts the loyalty-xl "
                        "report uses). Retention rate = (customers at the end - acquired) / "
                        "customers at the start. Churn rate = customers lost / customers at "
                        "the start. A customer is active when they ordered in the activity "
                        "window (the report's default: 365 days) before a date.",
                        "Gewonnene = Neukunden + reaktivierte Kunden (die Zahlen des "
                        "loyalty-xl-Berichts). Bindungsrate = (Kunden am Ende - Gewonnene) / "
                        "Kunden am Anfang. Abwanderungsrate = verlorene Kunden / Kunden am "
                        "Anfang. Aktiv ist, wer im Aktivitätsfenster (im Bericht "
                        "standardmäßig 365 Tage) vor einem Stichtag bestellt hat."),
    # --- staff: value -----------------------------------------------------------------------
    "value.title": ("Customer value, CLV and CAC", "Kundenwert, CLV und CAC"),
    "value.revenue": ("Revenue", "Umsatz"),
    "value.orders": ("Orders", "Bestellungen"),
    "value.customers": ("Customers", "Kunden"),
    "value.lifespan": ("LifespanYears", "LebensdauerJahre"),
    "value.marketing": ("MarketingSpend", "Marketingkosten"),
    "value.sales": ("SalesSpend", "Vertriebskosten"),
    "value.new": ("NewCustomers", "Neukunden"),
    "value.apv": ("PurchaseValue", "Bestellwert"),
    "value.frequency": ("Frequency", "Kauffrequenz"),
    "value.cv": ("CustomerValue", "Kundenwert"),
    "value.no_orders": ("no orders", "keine Bestellungen"),
    "value.no_customers": ("no customers", "keine Kunden"),
    "value.no_new": ("no new customers", "keine Neukunden"),
    "value.revenue_rule": ("Revenue of the last 12 months", "Umsatz der letzten 12 Monate"),
    "value.orders_rule": ("Orders of the last 12 months", "Bestellungen der letzten 12 Monate"),
    "value.customers_rule": ("Customers who ordered in those 12 months",
                             "Kunden mit Bestellung in diesen 12 Monaten"),
    "value.lifespan_rule": ("Average customer lifespan in years", "Lebensdauer in Jahren"),
    "value.marketing_rule": ("Marketing spend in the period", "Marketingkosten im Zeitraum"),
    "value.sales_rule": ("Sales spend in the period (optional)",
                         "Vertriebskosten (freiwillig)"),
    "value.new_rule": ("New customers in the period", "Neukunden im Zeitraum"),
    "value.apv_label": ("Average purchase value", "Durchschnittlicher Bestellwert"),
    "value.frequency_label": ("Purchase frequency", "Kauffrequenz"),
    "value.cv_label": ("Customer value", "Kundenwert"),
    "value.clv_label": ("Customer lifetime value", "Customer Lifetime Value"),
    "value.cac_label": ("Customer acquisition cost", "Kundengewinnungskosten"),
    "value.howto1": ("Enter revenue, orders and customers of the 12 months up to each period "
                     "(so the frequency is per year), the average customer lifespan in years, "
                     "and the period's spend and new customers.",
                     "Tragen Sie Umsatz, Bestellungen und Kunden der 12 Monate bis zum "
                     "Zeitraum ein (dann ist die Kauffrequenz pro Jahr), die "
                     "Kundenlebensdauer in Jahren sowie Kosten und Neukunden des Zeitraums."),
    "value.howto2": ("Purchase value = revenue / orders; frequency = orders / customers; "
                     "customer value = value x frequency; CLV = customer value x lifespan; "
                     "CAC = (marketing + sales spend) / new customers.",
                     "Bestellwert = Umsatz / Bestellungen; Kauffrequenz = Bestellungen / "
                     "Kunden; Kundenwert = Bestellwert x Frequenz; CLV = Kundenwert x "
                     "Lebensdauer; CAC = (Marketing- + Vertriebskosten) / Neukunden."),
    # --- staff: programme -------------------------------------------------------------------
    "programme.title": ("Loyalty programme", "Kundenprogramm"),
    "programme.customers": ("Customers", "Kunden"),
    "programme.members": ("Members", "Mitglieder"),
    "programme.issued": ("PointsIssued", "PunkteAusgegeben"),
    "programme.redeemed": ("PointsRedeemed", "PunkteEingelöst"),
    "programme.active": ("ActiveMembers", "AktiveMitglieder"),
    "programme.participation": ("Participation", "Teilnahme"),
    "programme.redemption": ("Redemption", "Einlösung"),
    "programme.engagement": ("ActiveEngagement", "AktiveNutzung"),
    "programme.no_customers": ("no customers", "keine Kunden"),
    "programme.no_points": ("no points issued", "keine Punkte ausgegeben"),
    "programme.no_members": ("no members", "keine Mitglieder"),
    "programme.customers_rule": ("All customers", "Alle Kunden"),
    "programme.members_rule": ("Programme members", "Programmmitglieder"),
    "programme.issued_rule": ("Points issued in the period", "Ausgegebene Punkte"),
    "programme.redeemed_rule": ("Points redeemed in the period", "Eingelöste Punkte"),
    "programme.active_rule": ("Members who earned or redeemed in the last 90 days",
                              "Mitglieder mit Punkten in 90 Tagen"),
    "programme.participation_label": ("Participation rate", "Teilnahmequote"),
    "programme.redemption_label": ("Redemption rate", "Einlösequote"),
    "programme.engagement_label": ("Active engagement rate", "Aktive Nutzung"),
    "programme.howto": ("Participation = members / all customers; redemption = points "
                        "redeemed / points issued (can exceed 100% when earlier points are "
                        "redeemed); active engagement = members active in the last 90 days / "
                        "members.",
                        "Teilnahme = Mitglieder / alle Kunden; Einlösung = eingelöste / "
                        "ausgegebene Punkte (über 100%, wenn frühere Punkte eingelöst "
                        "werden); aktive Nutzung = in 90 Tagen aktive Mitglieder / "
                        "Mitglieder."),
    # --- the customer-value sheet (predicted CLV) ---------------------------------------------
    "clv.sheet": ('Customer value',
                  'Kundenwert'),
    "clv.title": ('Predicted customer value (next {months} months)',
                  'Vorhergesagter Kundenwert (nächste {months} Monate)'),
    "clv.basis": ("From {customers} customers' purchases up to {end} (BG/NBD and Gamma-Gamma "
                  'models; purchases counted by day, refunds left out). Predictions assume a '
                  'shop, not a subscription: see the README, "Predicted customer value".',
                  'Aus den Käufen von {customers} Kunden bis {end} (BG/NBD- und Gamma-Gamma-'
                  'Modell; Käufe je Tag gezählt, Erstattungen nicht). Die Vorhersage gilt für '
                  'Handel, nicht für Abonnements: siehe README.'),
    "clv.no_fit": ('No prediction: {reason}.',
                  'Keine Vorhersage: {reason}.'),
    "clv.parameters": ('Fitted models',
                  'Angepasste Modelle'),
    "clv.parameter": ('Parameter',
                  'Parameter'),
    "clv.value": ('Value',
                  'Wert'),
    "clv.r": ('r (purchase rate shape)',
                  'r (Form der Kaufrate)'),
    "clv.alpha": ('alpha (purchase rate scale, weeks)',
                  'alpha (Skala der Kaufrate, Wochen)'),
    "clv.a": ('a (dropout shape)',
                  'a (Form der Abwanderung)'),
    "clv.b": ('b (dropout shape)',
                  'b (Form der Abwanderung)'),
    "clv.p": ('p (spend shape)',
                  'p (Form der Ausgaben)'),
    "clv.q": ('q (spend scale shape)',
                  'q (Form der Ausgabenskala)'),
    "clv.v": ('v (spend scale)',
                  'v (Ausgabenskala)'),
    "clv.mean_spend": ('Mean spend per purchase',
                  'Mittlere Ausgabe je Kauf'),
    "clv.repeat": ('Customers with repeat purchases',
                  'Kunden mit Wiederholungskäufen'),
    "clv.distribution": ('Predicted CLV by decile',
                  'Vorhergesagter CLV nach Dezil'),
    "clv.decile": ('Decile',
                  'Dezil'),
    "clv.customers": ('Customers',
                  'Kunden'),
    "clv.mean_clv": ('Mean predicted CLV',
                  'Mittlerer vorhergesagter CLV'),
    "clv.up_to": ('Up to',
                  'Bis'),
    "clv.total": ('Total predicted CLV',
                  'Vorhergesagter CLV gesamt'),
    "clv.expected_purchases": ('Purchases expected',
                  'Erwartete Käufe'),
    "clv.chart": ('Mean predicted CLV per decile of customers',
                  'Mittlerer vorhergesagter CLV je Kundendezil'),
    "clv.at_risk": ('Most at risk: most repeat spend so far, P(alive) below {share:.0%}',
                  'Am stärksten gefährdet: höchste Wiederholungsausgaben, P(aktiv) unter '
                  '{share:.0%}'),
    "clv.customer": ('Customer',
                  'Kunde'),
    "clv.repeat_purchases": ('Repeat purchases',
                  'Wiederholungskäufe'),
    "clv.repeat_spend": ('Repeat spend so far',
                  'Wiederholungsausgaben bisher'),
    "clv.weeks_since": ('Weeks since last purchase',
                  'Wochen seit letztem Kauf'),
    "clv.p_alive": ('P(alive)',
                  'P(aktiv)'),
    "clv.clv": ('Predicted CLV',
                  'Vorhergesagter CLV'),
    "clv.none_at_risk": ('No customer is at risk.',
                  'Kein Kunde ist gefährdet.'),
    "clv.notes": ('Note: {note}.',
                  'Hinweis: {note}.'),
}


def text(key: str, lang: str, **fields) -> str:
    """The text of ``key`` in ``lang`` ("en" or "de"), with ``fields`` filled in."""
    if lang not in LANGS:
        from loyalty_xl.errors import LoyaltyXLError

        raise LoyaltyXLError("lang must be en or de", argument="lang", value=lang,
                             has_value=True)
    words = TEXTS[key][LANGS.index(lang)]
    return words.format(**fields) if fields else words


def parts(key: str, lang: str) -> list[str]:
    """A text that is a list (``a|b|c``) as its items."""
    return text(key, lang).split("|")


class Texts:
    """The table in one language: ``Texts("de")("kpi.nps")``."""

    def __init__(self, lang: str):
        text("title", lang)  # checks the language
        self.lang = lang

    def __call__(self, key: str, **fields) -> str:
        return text(key, self.lang, **fields)

    def parts(self, key: str) -> list[str]:
        return parts(key, self.lang)

    def unit(self, kind: str, plural: bool = False) -> str:
        """A period kind's name: month/months, Monat/Monate."""
        return self.parts(f"unit.{kind}")[1 if plural else 0]

    def units(self, kind: str) -> dict[str, str]:
        """The fields ``unit``, ``units`` and ``in_unit`` ("in the month", "im Monat")."""
        unit, units, in_unit = self.parts(f"unit.{kind}")
        return {"unit": unit, "units": units, "Units": units[0].upper() + units[1:],
                "in_unit": in_unit}

    def number(self, x, places: int = 0) -> str:
        """``x`` written with this language's separators: 1,234.5 / 1.234,5."""
        thousands, decimal = self("fmt.separators")
        text = f"{x:,.{places}f}"
        return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)

    def money(self, x, symbol: str) -> str:
        return self("fmt.money", symbol=symbol, number=self.number(x, 2))

    def percent(self, fraction, places: int = 0) -> str:
        return self("fmt.percent", number=self.number(100 * fraction, places))

    def datetime(self, moment) -> str:
        return moment.strftime(self("fmt.datetime"))

    def input_name(self, name: str) -> str:
        """An engine input's name (orders, responses, ...) in this language."""
        key = f"input.{name}"
        return self(key) if key in TEXTS else name

    def reason(self, reason: str) -> str:
        """An engine exclusion reason in this language (unknown ones as they are)."""
        key = f"reason.{reason}"
        return self(key) if key in TEXTS else reason
