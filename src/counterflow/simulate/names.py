"""Names for simulated people, companies, charities and banks, from small built-in pools.

The pools hold common given names and surnames of the cultures the world's countries draw on
(Arabic, Kurdish, Turkish, German, English, French, Dutch, Swedish), so that screening meets
the name shapes it meets in real customer files: ``al-`` particles, patronymics, Turkish
letters, shared common surnames. Company and charity names follow each country's legal forms.
Every bank name is invented; combinations of pool names may by chance match a real person or
firm, which is why the world carries no other identifying detail about them.
"""

from __future__ import annotations

import numpy as np

CULTURES: tuple[str, ...] = (
    "arabic", "kurdish", "turkish", "german", "english", "french", "dutch", "swedish",
)  # fmt: skip
CULTURE_INDEX = {c: i for i, c in enumerate(CULTURES)}

_MALE = {
    "arabic": "Mohammed Ahmed Ali Omar Hassan Hussein Khalid Yousef Ibrahim Mahmoud Mustafa "
    "Abdullah Abdulrahman Karim Samir Tariq Walid Ziad Bilal Hamza Faisal Nabil Rami Salim Jamal "
    "Adel Fadi Majid Nasser Saad Anas Bassam Imad Marwan Ammar Haitham Qusay Wissam Firas",
    "kurdish": "Azad Baran Karwan Hawre Soran Rebin Dilshad Shvan Hemin Aram Zana Dara Sherko "
    "Kawa Rizgar Bakhtiyar Sardar Nechirvan Ari Diyar",
    "turkish": "Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim Murat Emre Burak Yusuf Ömer "
    "Osman Kemal Serkan Onur Cem Volkan Erkan Selim Tolga Barış Fatih Oğuz Hakan",
    "german": "Lukas Leon Finn Jonas Paul Felix Maximilian Tobias Stefan Michael Thomas Andreas "
    "Jan Florian Matthias Daniel Sebastian Markus Christian Uwe",
    "english": "James John Oliver George Harry Jack William Thomas Daniel Michael David Robert "
    "Richard Matthew Andrew Joseph Samuel Benjamin Edward Charles",
    "french": "Jean Pierre Louis Hugo Lucas Nicolas Julien Antoine Thomas Mathieu Olivier "
    "Philippe François Guillaume Sébastien Maxime Alexandre Vincent Laurent Éric",
    "dutch": "Daan Sem Lucas Bram Thijs Jeroen Pieter Willem Joost Bas Ruben Stijn Wouter "
    "Koen Maarten Niels Tom Sander Rik Jasper",
    "swedish": "Erik Lars Anders Johan Karl Nils Per Magnus Oskar Gustav Axel Henrik Mattias "
    "Fredrik Emil Viktor Linus Jonas Olof Björn",
}
_FEMALE = {
    "arabic": "Fatima Aisha Mariam Layla Noor Huda Rania Salma Zainab Amal Hiba Dina Lina Samira "
    "Yasmin Reem Nadia Mona Sara Rasha Hanan Iman Ghada Suha Nour",
    "kurdish": "Rojda Dilan Shirin Nishtiman Avin Berivan Hero Jwan Shilan Nazdar Viyan Lana "
    "Tara Rozhin Helin",
    "turkish": "Fatma Ayşe Emine Hatice Zeynep Elif Merve Özlem Esra Büşra Derya Gül Selin "
    "Ebru Aylin Sevgi Tuğba Hülya Yasemin Sibel",
    "german": "Anna Lena Laura Maria Sophie Julia Katharina Sabine Petra Claudia Susanne "
    "Andrea Nicole Stefanie Monika Lisa Hannah Leonie Johanna Ute",
    "english": "Emily Olivia Amelia Sarah Jessica Charlotte Sophie Emma Lucy Hannah Rebecca "
    "Laura Rachel Victoria Grace Alice Chloe Megan Elizabeth Helen",
    "french": "Marie Camille Léa Chloé Manon Julie Sophie Claire Nathalie Isabelle Céline "
    "Émilie Sandrine Aurélie Pauline Inès Juliette Margaux Lucie Anne",
    "dutch": "Emma Julia Lotte Sanne Anouk Femke Eva Lisa Iris Fleur Sophie Anne Linda "
    "Marieke Esther Ingrid Kim Ilse Noor Tessa",
    "swedish": "Karin Eva Maja Anna Elin Sara Linnea Ida Emma Johanna Kristina Ingrid Sofia "
    "Malin Frida Astrid Ebba Klara Hanna Elsa",
}
_SURNAMES = {
    "arabic": "al-Hassan Haddad Khalil Mansour al-Tamimi Nasser Saleh Hamdan al-Jaburi "
    "al-Obeidi al-Dulaimi al-Shammari Aziz Ibrahim Yousef Darwish Qasim Sabbagh Nassar Awad "
    "Jaber Hijazi Farhat Abboud Najjar Mahmoud Othman Issa al-Rashid Suleiman al-Khatib "
    "al-Masri Hamad al-Ani al-Hashimi Barakat Zaidan Karam al-Zubaidi Hammoud",
    "kurdish": "Ahmed Mahmoud Rashid Aziz Karim Hussein Mustafa Amin Qadir Salih Barzinji "
    "Hawrami Jaff Mirani Doski Zebari Shwani Talabani Rawanduzi Sindi",
    "turkish": "Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan "
    "Doğan Kılıç Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat Korkmaz Erdem Güneş Aksoy",
    "german": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
    "Koch Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger",
    "english": "Smith Jones Taylor Brown Williams Wilson Johnson Davies Evans Thomas Roberts "
    "Walker Wright Robinson Thompson White Hughes Edwards Green Hall",
    "french": "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon "
    "Laurent Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier",
    "dutch": "de Jong Jansen de Vries van den Berg van Dijk Bakker Janssen Visser Smit Meijer "
    "de Boer Mulder de Groot Bos Vos Peeters Maes Jacobs Mertens Willems",
    "swedish": "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson "
    "Gustafsson Pettersson Jonsson Jansson Hansson Bengtsson Lindberg Lindqvist Berg Holm Lund",
}


def _split(pool: dict[str, str]) -> list[tuple[str, ...]]:
    out = []
    for culture in CULTURES:
        words = pool[culture].split()
        # Dutch surnames carry particles: glue "de Jong", "van den Berg" back together
        merged: list[str] = []
        for word in words:
            if merged and merged[-1] in {"de", "van", "van den", "den"}:
                merged[-1] = f"{merged[-1]} {word}"
            else:
                merged.append(word)
        out.append(tuple(merged))
    return out


MALE = _split(_MALE)
FEMALE = _split(_FEMALE)
SURNAMES = _split(_SURNAMES)


def person_names(rng: np.random.Generator, culture: np.ndarray, female: np.ndarray) -> list[str]:
    """One full name per person; Arabic and Kurdish names sometimes carry a father's name."""
    out: list[str] = []
    draws = rng.random((len(culture), 4))
    for c, f, (a, b, m, r) in zip(culture.tolist(), female.tolist(), draws.tolist(), strict=True):
        given = (FEMALE if f else MALE)[c]
        first = given[int(a * len(given))]
        last = SURNAMES[c][int(b * len(SURNAMES[c]))]
        if c <= 1 and m < 0.35:  # arabic, kurdish: a patronymic in the middle
            father = MALE[c][int(r * len(MALE[c]))]
            out.append(f"{first} {father} {last}")
        else:
            out.append(f"{first} {last}")
    return out


# --------------------------------------------------------------------------- organisations

#: legal forms by country, as they end a registered name
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "TR": ("Ltd. Şti.", "A.Ş.", "San. ve Tic. Ltd. Şti."), "IQ": ("Co.", "LLC", "Company"),
    "SY": ("Co.", "LLC"), "LB": ("SAL", "SARL"), "JO": ("Co.", "LLC"), "AE": ("LLC", "FZE", "FZCO"),
    "SA": ("Co.", "LLC"), "QA": ("WLL",), "KW": ("WLL", "KSCC"), "DE": ("GmbH", "AG", "KG"),
    "GB": ("Ltd", "PLC", "LLP"), "FR": ("SARL", "SA", "SAS"), "NL": ("B.V.",), "BE": ("BV", "SA"),
    "SE": ("AB",), "AT": ("GmbH",), "CH": ("AG", "SA", "GmbH"), "US": ("LLC", "Inc."),
    "CA": ("Inc.", "Ltd."), "AU": ("Pty Ltd",),
}  # fmt: skip
#: words that say what a company does, by sector (English; Turkish in Turkey)
SECTOR_WORDS: dict[str, tuple[str, ...]] = {
    "retail": ("Market", "Stores", "Shop", "Supermarket", "Trading"),
    "food & hospitality": ("Restaurant", "Café", "Bakery", "Hotel", "Catering"),
    "utilities": ("Energy", "Power", "Water", "Gas Supply"),
    "telecom": ("Telecom", "Mobile", "Communications"),
    "real estate": ("Properties", "Real Estate", "Estates", "Homes"),
    "insurance": ("Insurance", "Assurance"),
    "construction": ("Construction", "Building", "Contracting"),
    "manufacturing": ("Industries", "Manufacturing", "Works"),
    "logistics": ("Logistics", "Transport", "Shipping", "Freight"),
    "wholesale food": ("Foods", "Food Trading", "Provisions"),
    "textiles": ("Textiles", "Fabrics", "Garments"),
    "IT services": ("Software", "IT Solutions", "Systems"),
    "consulting": ("Consulting", "Advisory", "Partners"),
    "travel & airlines": ("Travel", "Tours", "Airlines"),
    "payment services": ("Payments", "Exchange", "Money Transfer"),
    "automotive": ("Motors", "Auto", "Cars"),
    "healthcare": ("Medical", "Pharma", "Clinic"),
    "oil & fuel trading": ("Petroleum", "Oil Trading", "Fuel", "Energy Trading"),
    "grain & milling": ("Grain", "Milling", "Flour Mills", "Agro"),
    "cotton & fibres": ("Cotton", "Ginning", "Fibres"),
    "construction materials": ("Cement", "Building Materials", "Concrete"),
    "chemicals & fertilisers": ("Chemicals", "Fertilisers", "Agrochemicals"),
    "art & antiques": ("Fine Art", "Antiques", "Gallery", "Auctions"),
    "general trading": ("General Trading", "Import Export", "Trading"),
}
_TURKISH_WORDS = {
    "retail": "Market", "food & hospitality": "Gıda", "construction": "İnşaat",
    "logistics": "Lojistik", "textiles": "Tekstil", "oil & fuel trading": "Petrol",
    "grain & milling": "Un ve Tahıl", "construction materials": "Çimento",
    "chemicals & fertilisers": "Kimya", "general trading": "Dış Ticaret",
    "art & antiques": "Antika", "cotton & fibres": "Pamuk", "real estate": "Gayrimenkul",
    "payment services": "Döviz",
}  # fmt: skip
_BRAND = (
    "Atlas", "Crescent", "Golden", "Orient", "Star", "Delta", "Phoenix", "Summit", "Unity",
    "Silk Road", "Horizon", "Euphrates", "Tigris", "Levant", "Anatolia", "Nova", "Prime",
    "Zenith", "Cedar", "Falcon", "Pearl", "Royal", "Global", "Mesopotamia", "Oasis", "Sunrise",
    "North", "Eastern", "Bridge", "Harbour",
)  # fmt: skip
_NPO_PATTERNS = (
    "{brand} Relief", "{brand} Humanitarian Aid", "{city} Relief Committee",
    "{brand} Foundation", "{brand} Orphans Care", "Hope for {region}", "{brand} Charity Trust",
    "{city} Solidarity Association", "Helping Hands {city}", "{brand} Aid International",
)  # fmt: skip
_NPO_TR = ("{city} İnsani Yardım Derneği", "{brand} Yardımlaşma Derneği", "{brand} Vakfı")
_NPO_DE = ("{brand} Hilfe e.V.", "{city}er Hilfswerk e.V.", "{brand} Stiftung")
_REGIONS = ("Syria", "the Levant", "Iraq", "the Orphans", "Sham", "Aleppo", "Mosul", "Refugees")


def company_name(rng: np.random.Generator, country: str, sector: str, surname: str) -> str:
    """A registered company name: a family or brand name, an activity word, a legal form."""
    form = LEGAL_FORMS[country][int(rng.integers(len(LEGAL_FORMS[country])))]
    head = surname if rng.random() < 0.5 else _BRAND[int(rng.integers(len(_BRAND)))]
    if country == "TR" and sector in _TURKISH_WORDS:
        word = _TURKISH_WORDS[sector]
    else:
        words = SECTOR_WORDS.get(sector, ("Trading",))
        word = words[int(rng.integers(len(words)))]
    return f"{head} {word} {form}"


def npo_name(rng: np.random.Generator, country: str, city: str) -> str:
    """A charity's name in the style of its country."""
    patterns: tuple[str, ...] = _NPO_PATTERNS
    if rng.random() < 0.7 and country in {"TR", "DE", "AT"}:
        patterns = _NPO_TR if country == "TR" else _NPO_DE
    pattern = patterns[int(rng.integers(len(patterns)))]
    return pattern.format(
        brand=_BRAND[int(rng.integers(len(_BRAND)))],
        city=city,
        region=_REGIONS[int(rng.integers(len(_REGIONS)))],
    )


# --------------------------------------------------------------------------- banks

#: invented banks, three per country: (name, BIC-like code). The codes have the shape of a
#: BIC (bank, country, location) with an "X" in the bank part, so none is a real one.
_BANK_WORDS = (
    ("Merchant", "MR"),
    ("Commerce", "CO"),
    ("Union", "UN"),
    ("National", "NA"),
    ("Credit", "CR"),
    ("Trade", "TD"),
    ("Savings", "SV"),
    ("Investment", "IV"),
)


def bank_names(country: str, capital: str, k: int = 3) -> list[tuple[str, str]]:
    """``k`` invented banks of a country, with BIC-like codes that name no real bank."""
    seed = sum(ord(ch) for ch in country)
    result = []
    for i in range(k):
        brand = _BRAND[(seed + 7 * i) % len(_BRAND)]
        word, code = _BANK_WORDS[(seed + 3 * i) % len(_BANK_WORDS)]
        initial = "".join(ch for ch in brand.upper() if ch.isalpha())[:1]
        bic = f"{initial}{code}X{country}{capital[:2].upper()}"
        result.append((f"{brand} {word} Bank ({capital})", bic))
    return result
