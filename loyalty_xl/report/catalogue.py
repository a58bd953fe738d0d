"""What the report shows of each KPI: labels (English, German), number formats, direction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kpi:
    key: str  # the period table's column
    en: str
    de: str
    number_format: str
    better: int = 1  # +1: higher is better, -1: lower is better, 0: neither
    definition_en: str = ""
    definition_de: str = ""

    def label(self, lang: str) -> str:
        return self.de if lang == "de" else self.en

    def definition(self, lang: str) -> str:
        return self.definition_de if lang == "de" else self.definition_en


PCT, NUM, INT, MONEY, PTS = "0.0%", "0.00", "#,##0", "#,##0.00", "0.0"

KPIS = [
    Kpi("nps", "Net Promoter Score", "Net Promoter Score", PTS, 1,
        "% promoters (9-10) minus % detractors (0-6), in points",
        "% Promotoren (9-10) minus % Detraktoren (0-6), in Punkten"),
    Kpi("csat", "Customer satisfaction (CSAT)", "Kundenzufriedenheit (CSAT)", PCT, 1,
        "Share of satisfied answers (top two boxes of the scale)",
        "Anteil zufriedener Antworten (die zwei besten Stufen der Skala)"),
    Kpi("ces", "Customer Effort Score", "Customer Effort Score", NUM, 1,
        "Mean agreement that we made it easy, 1-7", "Mittlere Zustimmung: es war einfach, 1-7"),
    Kpi("cli", "Customer Loyalty Index", "Kundenloyalitätsindex", PTS, 1,
        "Recommend, buy again, try other products: 0-100",
        "Weiterempfehlen, wieder kaufen, andere Produkte: 0-100"),
    Kpi("retention_rate", "Retention rate", "Kundenbindungsrate", PCT, 1,
        "(Customers at end - acquired) / customers at start",
        "(Kunden am Ende - gewonnene) / Kunden am Anfang"),
    Kpi("churn_rate", "Churn rate", "Abwanderungsrate", PCT, -1,
        "Customers lost / customers at start", "Verlorene Kunden / Kunden am Anfang"),
    Kpi("repeat_purchase_rate", "Repeat purchase rate", "Wiederkaufrate", PCT, 1,
        "Customers with 2+ orders / customers with 1+ (last 12 months)",
        "Kunden mit 2+ Bestellungen / Kunden mit 1+ (letzte 12 Monate)"),
    Kpi("average_purchase_value", "Average purchase value", "Durchschnittlicher Bestellwert",
        MONEY, 1, "Revenue / orders (last 12 months)", "Umsatz / Bestellungen (letzte 12 Monate)"),
    Kpi("purchase_frequency", "Purchase frequency", "Kauffrequenz", NUM, 1,
        "Orders / customers (last 12 months)", "Bestellungen / Kunden (letzte 12 Monate)"),
    Kpi("customer_value", "Customer value", "Kundenwert", MONEY, 1,
        "Average purchase value x purchase frequency", "Bestellwert x Kauffrequenz"),
    Kpi("average_customer_lifespan", "Average customer lifespan (years)",
        "Durchschnittliche Kundenlebensdauer (Jahre)", NUM, 1,
        "Mean time between first and last order", "Mittlere Zeit zwischen erster und letzter Bestellung"),
    Kpi("customer_lifetime_value", "Customer lifetime value", "Customer Lifetime Value", MONEY, 1,
        "Purchase value x frequency per year x lifespan in years",
        "Bestellwert x Kauffrequenz pro Jahr x Lebensdauer in Jahren"),
    Kpi("customer_acquisition_cost", "Customer acquisition cost", "Kundengewinnungskosten", MONEY,
        -1, "(Marketing + sales spend) / new customers",
        "(Marketing- + Vertriebskosten) / Neukunden"),
    Kpi("clv_cac_ratio", "CLV : CAC", "CLV : CAC", NUM, 1, "Lifetime value / acquisition cost",
        "Lifetime Value / Gewinnungskosten"),
    Kpi("participation_rate", "Programme participation", "Programmteilnahme", PCT, 1,
        "Programme members / all customers", "Programmmitglieder / alle Kunden"),
    Kpi("redemption_rate", "Redemption rate", "Einlösequote", PCT, 1,
        "Points redeemed / points issued in the period",
        "Eingelöste / ausgegebene Punkte im Zeitraum"),
    Kpi("active_engagement_rate", "Active engagement", "Aktive Nutzung", PCT, 1,
        "Members who earned or redeemed in 90 days / members",
        "Mitglieder mit Punkten in 90 Tagen / Mitglieder"),
    Kpi("customers", "Ordering customers", "Bestellende Kunden", INT, 1,
        "Customers who ordered in the period", "Kunden mit Bestellung im Zeitraum"),
    Kpi("new_customers", "New customers", "Neukunden", INT, 1,
        "First-ever order in the period", "Erste Bestellung im Zeitraum"),
    Kpi("lost_customers", "Lost customers", "Verlorene Kunden", INT, -1,
        "Active at the start, not at the end (365-day window)",
        "Aktiv am Anfang, nicht am Ende (365-Tage-Fenster)"),
    Kpi("orders", "Orders", "Bestellungen", INT, 1, "Orders in the period",
        "Bestellungen im Zeitraum"),
    Kpi("revenue", "Revenue", "Umsatz", MONEY, 1, "Net revenue in the period (after refunds)",
        "Nettoumsatz im Zeitraum (nach Erstattungen)"),
]
BY_KEY = {k.key: k for k in KPIS}

# Columns of the period table in the report (besides the KPIs above).
EXTRA = {
    "period": ("Period", "Zeitraum", "@"),
    "nps_low": ("NPS low", "NPS unten", PTS),
    "nps_high": ("NPS high", "NPS oben", PTS),
    "nps_responses": ("NPS answers", "NPS-Antworten", INT),
    "customers_start": ("Customers at start", "Kunden am Anfang", INT),
    "customers_end": ("Customers at end", "Kunden am Ende", INT),
    "spend": ("Spend", "Ausgaben", MONEY),
}
TABLE_COLUMNS = ["period", "customers", "new_customers", "lost_customers", "customers_start",
                 "customers_end", "orders", "revenue", "retention_rate", "churn_rate",
                 "repeat_purchase_rate", "average_purchase_value", "purchase_frequency",
                 "customer_value", "average_customer_lifespan", "customer_lifetime_value",
                 "spend", "customer_acquisition_cost", "clv_cac_ratio", "nps", "nps_low",
                 "nps_high", "nps_responses", "csat", "ces", "cli", "participation_rate",
                 "redemption_rate", "active_engagement_rate"]


def column_label(key: str, lang: str) -> str:
    if key in BY_KEY:
        return BY_KEY[key].label(lang)
    en, de, _ = EXTRA[key]
    return de if lang == "de" else en


def column_format(key: str) -> str:
    return BY_KEY[key].number_format if key in BY_KEY else EXTRA[key][2]


TEXT = {
    "en": {
        "title": "Customer loyalty report", "period": "Period", "generated": "Generated",
        "kpi": "KPI", "current": "This period", "previous": "Previous period",
        "change": "Change", "year_ago": "Same period last year", "interval": "NPS 95% interval",
        "segments": "NPS by segment, this period", "periods_sheet": "Periods",
        "summary_sheet": "Summary", "charts_sheet": "Charts", "cohorts_sheet": "Cohorts",
        "quality_sheet": "Data quality", "about_sheet": "About",
        "cohorts_title": "Cohort retention: share of each month's new customers ordering "
                         "k periods later",
        "quality_title": "Data quality: rows read, used and excluded per input",
        "about_title": "About this report", "inputs": "Inputs", "settings": "Settings",
        "version": "loyalty_xl version", "definitions": "Definitions",
        "chart_nps": "Net Promoter Score with 95% interval", "chart_retention":
            "Retention and churn", "chart_clv": "Customer lifetime value and acquisition cost",
        "chart_programme": "Loyalty programme", "excluded": "Rows excluded",
        "notes": "Notes", "customers_n": "Customers",
        "quality_columns": ["Input", "Source", "Rows read", "Rows used", "Reason",
                            "Rows excluded", "Examples (row: value)"],
    },
    "de": {
        "title": "Kundenloyalitätsbericht", "period": "Zeitraum", "generated": "Erstellt",
        "kpi": "Kennzahl", "current": "Dieser Zeitraum", "previous": "Vorheriger Zeitraum",
        "change": "Änderung", "year_ago": "Vorjahreszeitraum", "interval": "NPS 95%-Intervall",
        "segments": "NPS nach Segment, dieser Zeitraum", "periods_sheet": "Zeiträume",
        "summary_sheet": "Übersicht", "charts_sheet": "Diagramme", "cohorts_sheet": "Kohorten",
        "quality_sheet": "Datenqualität", "about_sheet": "Info",
        "cohorts_title": "Kohortenbindung: Anteil der Neukunden eines Monats, die k Zeiträume "
                         "später bestellen",
        "quality_title": "Datenqualität: gelesene, verwendete und ausgeschlossene Zeilen",
        "about_title": "Über diesen Bericht", "inputs": "Eingaben", "settings": "Einstellungen",
        "version": "loyalty_xl-Version", "definitions": "Definitionen",
        "chart_nps": "Net Promoter Score mit 95%-Intervall", "chart_retention":
            "Kundenbindung und Abwanderung", "chart_clv": "Customer Lifetime Value und "
                                                          "Gewinnungskosten",
        "chart_programme": "Kundenprogramm", "excluded": "Ausgeschlossene Zeilen",
        "notes": "Hinweise", "customers_n": "Kunden",
        "quality_columns": ["Eingabe", "Quelle", "Zeilen gelesen", "Zeilen verwendet", "Grund",
                            "Zeilen ausgeschlossen", "Beispiele (Zeile: Wert)"],
    },
}
