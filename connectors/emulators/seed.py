"""Deterministic, realistic companies and people shared by every emulator.

    >>> companies = generate_companies(200, seed=7)
    >>> people = generate_people(1000, companies, seed=7)
    >>> [p for p in people if p.invalid_reason]          # about 1%, each broken on purpose

Ten countries (US, GB, DE, FR, NL, ES, IT, CA, AU, IE) each bring their own names, cities, postcodes,
street and phone styles. Phone numbers are ones each country's numbering plan has (as libphonenumber,
which the hub's `e164` uses, knows the plans), in the ranges set aside for fiction where that is so
(555-01xx in North America, 0121 496 in Birmingham, 5550 in Australia).
Exactly `invalid_count(n)` records of a batch are broken the way real data is broken (an email without
a domain, "n/a" as a phone number, a country code that does not exist) and say so in `invalid_reason`,
written "<field>: <problem>". Only the standard library is used, so a seed gives the same data forever.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta

from hub.project.transforms.phone import PhoneError, to_e164


def _words(text: str) -> tuple[str, ...]:
    """Words of a list written as text: split at "|" when there is one (for names with spaces)."""
    return tuple(text.split("|") if "|" in text else text.split())


# Birthdates are computed from a fixed day, not today, so that a seed always means the same people.
REFERENCE_DAY = date(2024, 1, 1)
INDUSTRIES = {
    "Technology": "Systems Software Labs Digital Data Cloud",
    "Manufacturing": "Industries Manufacturing Works Components Fabrication",
    "Retail": "Retail Stores Outfitters Market Goods",
    "Finance": "Capital Partners Financial Advisors Investments",
    "Healthcare": "Health Medical Care Clinics Diagnostics",
    "Consulting": "Consulting Advisory Group Associates",
    "Transportation": "Logistics Freight Transport Shipping",
    "Energy": "Energy Power Solar Renewables",
    "Food & Beverage": "Foods Brewing Kitchen Bakery Provisions",
    "Construction": "Construction Builders Homes Contractors",
    "Media": "Media Studios Publishing Productions",
    "Education": "Learning Academy Education Institute",
    "Hospitality": "Hotels Hospitality Travel Resorts",
    "Telecommunications": "Telecom Networks Communications Connect",
}
STEMS = _words(
    "Northwind Bluefield Ironbridge Silverline Redwood Oakridge Brightwater Stonegate Harbor Summit "
    "Pinecrest Clearview Evergreen Lakeside Highland Riverstone Granite Copperleaf Falcon Meridian Atlas "
    "Beacon Crescent Horizon Keystone Lighthouse Maple Nimbus Orion Pioneer Quantum Sterling Trident "
    "Vertex Willow Zenith Alder Birchwood Cobalt Driftwood Emberly Foxglove Goldcrest Hawthorn Juniper"
)
ADJECTIVES = _words("family-owned fast-growing independent award-winning specialist regional global")
ROLES = (
    ("Chief Executive Officer", "Executive"), ("Chief Financial Officer", "Finance"),
    ("Head of Sales", "Sales"), ("Account Executive", "Sales"), ("Sales Representative", "Sales"),
    ("Marketing Manager", "Marketing"), ("Content Strategist", "Marketing"),
    ("Software Engineer", "Engineering"), ("VP Engineering", "Engineering"), ("IT Manager", "IT"),
    ("Procurement Lead", "Purchasing"), ("Office Manager", "Operations"),
    ("Operations Director", "Operations"), ("HR Business Partner", "Human Resources"),
    ("Customer Success Manager", "Customer Success"), ("Financial Analyst", "Finance"),
    ("Product Manager", "Product"), ("Legal Counsel", "Legal"),
)  # fmt: skip
BAD_PHONES = ("n/a", "12", "TBD", "call reception")
BAD_COUNTRIES = ("XX", "ZZ")


@dataclass(frozen=True, slots=True)
class City:
    """A city with its region, postcode pattern (# digit, A letter, ? either), dialling area, and the
    pattern of its local numbers where it differs from the country's."""

    name: str
    region: str
    postcode: str
    area: str
    local: str = ""


@dataclass(frozen=True, slots=True)
class Country:
    """How people in one country write names, addresses and phone numbers."""

    code: str
    name: str
    cities: tuple[City, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    street_style: str
    suffixes: tuple[str, ...]
    tld: str
    freemail: tuple[str, ...]
    local_number: str
    phone_styles: tuple[str, ...]
    mobile_areas: tuple[str, ...]
    mobile_number: str


def _cities(text: str) -> tuple[City, ...]:
    return tuple(City(*part.split("|")) for part in text.split(";"))


_US_STYLES = (
    "({area}) {local_dash}", "{area}-{local_dash}", "{area}.{local_dot}", "+1 {area} {local}",
    "+1 ({area}) {local_dash}", "1-{area}-{local_dash}",
)  # fmt: skip
COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        Country(
            "US", "United States",
            _cities("San Francisco|CA|941##|415;New York|NY|100##|212;Chicago|IL|606##|312;"
                    "Austin|TX|787##|512;Seattle|WA|981##|206;Boston|MA|021##|617;Denver|CO|802##|303;"
                    "Atlanta|GA|303##|404"),
            _words("James Mary Robert Patricia Michael Jennifer David Linda William Elizabeth Emily Daniel "
                  "Ashley Matthew Jessica Christopher Sarah Andrew Brittany Joshua Kayla Tyler"),
            _words("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
                  "Lopez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White"),
            _words("Main|Oak|Pine|Maple|Cedar|Market|Mission|Lakeview|Washington|Franklin|Highland"),
            "{n} {s} {t}", ("Inc.", "LLC", "Corp.", "Co."), "com", ("gmail.com", "yahoo.com", "outlook.com"),
            "555 01##", _US_STYLES, (), "555 01##",
        ),
        Country(
            "GB", "United Kingdom",
            _cities("London|England|EC1V #AA|20 7946;Manchester|England|M1 #AA|161 496;"
                    "Birmingham|England|B3 #AA|121 496;Leeds|England|LS1 #AA|113 496;"
                    "Bristol|England|BS1 #AA|117 496;Glasgow|Scotland|G2 #AA|141 496;"
                    "Edinburgh|Scotland|EH1 #AA|131 496"),
            _words("Oliver Amelia George Isla Harry Ava Jack Emily Charlie Sophie Thomas Grace Alfie "
                  "Freya Oscar Poppy William Chloe Henry Zoë"),
            _words("Smith Jones Taylor Brown Williams Wilson Evans Thomas Roberts Walker Wright Robinson "
                  "Thompson Hughes Edwards Green Hall Wood Harris O'Connor Clarke"),
            _words("High|Station|Church|Victoria|Park|Mill|Queen|King|Albert|York|Greenwich"),
            "{n} {s} {t}", ("Ltd", "Limited", "PLC"), "co.uk",
            ("gmail.com", "btinternet.com", "hotmail.co.uk"),
            "0###", ("0{area} {local}", "+44 {area} {local}", "+44 (0){area} {local}"), ("7400",), "900###",
        ),
        Country(
            "DE", "Germany",
            _cities("Berlin|Berlin|10###|30;Hamburg|Hamburg|20###|40;München|Bayern|80###|89;"
                    "Köln|Nordrhein-Westfalen|50###|221;Frankfurt am Main|Hessen|60###|69;"
                    "Stuttgart|Baden-Württemberg|70###|711;Leipzig|Sachsen|04###|341"),
            _words("Lukas Anna Leon Lea Finn Hannah Jonas Sophie Paul Marie Felix Emma Maximilian Lena "
                  "Jürgen Jörg Sabine Ursula Klaus Günther"),
            _words("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
                  "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Krüger"),
            _words("Haupt|Bahnhof|Garten|Schiller|Goethe|Linden|Berg|Kirch|Wald|Friedrich"),
            "{s}straße {n}", ("GmbH", "AG", "GmbH & Co. KG"), "de", ("gmx.de", "web.de", "t-online.de"),
            "#######", ("0{area} {local}", "+49 {area} {local}", "0{area}/{local}", "(0{area}) {local}"),
            ("151", "160", "170", "176"), "########",
        ),
        Country(
            "FR", "France",
            _cities("Paris|Île-de-France|750##|1;Lyon|Auvergne-Rhône-Alpes|6900#|4;"
                    "Marseille|Provence-Alpes-Côte d'Azur|130##|4;Toulouse|Occitanie|310##|5;"
                    "Bordeaux|Nouvelle-Aquitaine|330##|5;Lille|Hauts-de-France|590##|3;"
                    "Nantes|Pays de la Loire|440##|2"),
            _words("Louis Emma Gabriel Jade Léo Louise Raphaël Alice Arthur Chloé Hugo Léa Jules Manon "
                  "Françoise Hélène Théo Inès Benoît Céline"),
            _words("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
                  "Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier"),
            _words("rue de la Paix|avenue Victor Hugo|boulevard Haussmann|rue du Moulin|rue de la République|"
                  "avenue Jean Jaurès|rue Pasteur|quai des Chartrons"),
            "{n} {s}", ("SAS", "SARL", "SA"), "fr", ("orange.fr", "free.fr", "gmail.com"),
            "[4]# ## ## ##", ("0{area} {local}", "+33 {area} {local}", "0{area}.{local_dot}"), ("6", "7"),
            "[6]# ## ## ##",
        ),
        Country(
            "NL", "Netherlands",
            _cities("Amsterdam|Noord-Holland|10## AA|20;Rotterdam|Zuid-Holland|30## AA|10;"
                    "Den Haag|Zuid-Holland|25## AA|70;Utrecht|Utrecht|35## AA|30;"
                    "Eindhoven|Noord-Brabant|56## AA|40;Groningen|Groningen|97## AA|50"),
            _words("Daan Emma Sem Julia Lucas Mila Levi Tess Finn Sophie Bram Zoë Jesse Anna Ruben Fleur "
                  "Thijs Sanne Joost Eva"),
            _words("de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|de Boer|"
                  "Mulder|de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer"),
            _words("Keizers|Heren|Prinsen|Dam|Molen|Kerk|Linden|Wilhelmina|Oranje"),
            "{s}straat {n}", ("B.V.", "N.V."), "nl", ("gmail.com", "ziggo.nl", "kpnmail.nl"),
            "### ####", ("0{area} {local}", "+31 {area} {local}", "0{area}-{local_compact}"), ("6",),
            "[12345]#######",
        ),
        Country(
            "ES", "Spain",
            _cities("Madrid|Comunidad de Madrid|280##|91;Barcelona|Cataluña|080##|93;"
                    "Valencia|Comunidad Valenciana|460##|96;Sevilla|Andalucía|410##|95;"
                    "Bilbao|País Vasco|480##|94|[4] ### ###;Málaga|Andalucía|290##|95"),
            _words("Hugo Lucía Martín Sofía Pablo María Alejandro Paula Lucas Julia Álvaro Carmen Javier "
                  "Elena José Ana Sergio Laura Íñigo Nuria"),
            _words("García|Rodríguez|González|Fernández|López|Martínez|Sánchez|Pérez|Gómez|Martín|Jiménez|"
                  "Ruiz|Hernández|Díaz|Moreno|Muñoz|Álvarez|Romero|García López|Navarro"),
            _words("Alcalá|Gran Vía|la Castellana|Serrano|Colón|la Constitución|San Vicente"),
            "Calle de {s}, {n}", ("S.L.", "S.A."), "es", ("gmail.com", "hotmail.es", "telefonica.net"),
            "# ### ###", ("{area}{local}", "+34 {area}{local}", "{area}{local_compact}"), ("6",),
            "## ### ###",
        ),
        Country(
            "IT", "Italy",
            _cities("Roma|Lazio|001##|06;Milano|Lombardia|201##|02;Napoli|Campania|801##|081;"
                    "Torino|Piemonte|101##|011;Bologna|Emilia-Romagna|401##|051;Firenze|Toscana|501##|055"),
            _words("Leonardo Sofia Francesco Giulia Alessandro Aurora Lorenzo Alice Mattia Ginevra Andrea "
                  "Emma Gabriele Giorgia Niccolò Chiara Luca Beatrice Matteo Martina"),
            _words("Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|Bruno|Gallo|"
                   "Conti|De Luca|Mancini|Costa|Giordano|Rizzo|Lombardi|Moretti"),
            _words("Roma|Garibaldi|Mazzini|Dante|Verdi|Cavour|Vittorio Emanuele|Marconi"),
            "Via {s}, {n}", ("S.r.l.", "S.p.A."), "it", ("gmail.com", "libero.it", "virgilio.it"),
            "#### ####", ("{area} {local}", "+39 {area} {local}", "{area}{local_compact}"),
            ("347", "335", "320", "389"), "### ####",
        ),
        Country(
            "CA", "Canada",
            _cities("Toronto|ON|M5V #A#|416;Vancouver|BC|V6B #A#|604;Montréal|QC|H2X #A#|514;"
                    "Calgary|AB|T2P #A#|403;Ottawa|ON|K1P #A#|613;Edmonton|AB|T5J #A#|780"),
            _words("Liam Olivia Noah Emma William Charlotte Benjamin Amelia Lucas Ava Étienne Chloé "
                  "Nathan Maëlle Logan Zoé Owen Léa Ethan Mia"),
            _words("Smith Brown Tremblay Martin Roy Wilson Gagnon MacDonald Taylor Campbell Anderson Lee "
                  "Côté Bouchard Gauthier Morin Lavoie Fortin Leblanc Pelletier"),
            _words("King|Queen|Yonge|Bay|Granville|Robson|Sainte-Catherine|Jasper|Bank"),
            "{n} {s} {t}", ("Inc.", "Ltd.", "Corp."), "ca", ("gmail.com", "rogers.com", "shaw.ca"),
            "555 01##", _US_STYLES, (), "555 01##",
        ),
        Country(
            "AU", "Australia",
            _cities("Sydney|NSW|20##|2;Melbourne|VIC|30##|3;Brisbane|QLD|40##|7;Perth|WA|60##|8;"
                    "Adelaide|SA|50##|8"),
            _words("Oliver Charlotte Jack Olivia William Amelia Noah Isla Thomas Mia Lachlan Chloe Cooper "
                  "Matilda Riley Ruby Harrison Sienna Hamish Zara"),
            _words("Smith Jones Williams Brown Wilson Taylor Johnson White Martin Anderson Thompson Nguyen "
                  "Thomas Walker Harris Lee Ryan Robinson Kelly King"),
            _words("George|Pitt|Collins|Bourke|Flinders|Queen|Adelaide|Murray|Hay"),
            "{n} {s} {t}", ("Pty Ltd", "Pty. Ltd."), "com.au", ("gmail.com", "bigpond.com", "outlook.com"),
            "5550 ####", ("(0{area}) {local}", "0{area} {local}", "+61 {area} {local}"), ("491",), "570 ###",
        ),
        Country(
            "IE", "Ireland",
            _cities("Dublin|Co. Dublin|D02 ????|1;Cork|Co. Cork|T12 ????|21;"
                    "Galway|Co. Galway|H91 ????|91|~### ###;Limerick|Co. Limerick|V94 ????|61|~### ###;"
                    "Waterford|Co. Waterford|X91 ????|51|~### ###"),
            _words("Jack Emily Noah Grace James Fiadh Conor Sophie Seán Aoife Darragh Saoirse Cian Niamh "
                  "Oisín Róisín Liam Ciara Pádraig Siobhán"),
            _words("Murphy|Kelly|O'Sullivan|Walsh|Smith|O'Brien|Byrne|Ryan|O'Connor|O'Neill|Reilly|Doyle|"
                  "McCarthy|Gallagher|Doherty|Kennedy|Lynch|Murray|Quinn|Ó Súilleabháin"),
            _words("Grafton|Dame|Patrick|Shop|Eyre|Oliver Plunkett|Thomas|Main"),
            "{n} {s} {t}", ("Ltd", "Limited", "DAC"), "ie", ("gmail.com", "eircom.net", "hotmail.com"),
            "### ####", ("0{area} {local}", "+353 {area} {local}", "(0{area}) {local}"), ("87", "86", "85"),
            "### ####",
        ),
    )
}  # fmt: skip
STREET_TYPES = ("Street", "Road", "Avenue", "Lane", "Drive", "Boulevard")
COUNTRY_CODES = tuple(COUNTRIES)
INDUSTRY_NAMES = tuple(INDUSTRIES)
INDUSTRY_WORDS = {industry: tuple(words.split()) for industry, words in INDUSTRIES.items()}


@dataclass(frozen=True, slots=True)
class Company:
    """A company as any system would hold it; `invalid_reason` says how it was broken on purpose."""

    index: int
    name: str
    domain: str
    website: str
    phone: str
    industry: str
    employees: int
    annual_revenue: str | None
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    description: str | None
    invalid_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """A person, usually working for `company` (an index into the companies list, or None)."""

    index: int
    first_name: str
    last_name: str
    email: str
    phone: str | None
    mobile: str | None
    title: str | None
    department: str | None
    birthdate: date | None
    email_opt_out: bool
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    company: int | None
    invalid_reason: str | None = None


def invalid_count(n: int) -> int:
    """How many of `n` generated records are broken on purpose: 1%, and at least one from 50 on."""
    count = round(n * 0.01)
    return max(count, 1) if n >= 50 else count


def _fill(rng: random.Random, pattern: str) -> str:
    """A pattern with # replaced by digits, A by letters and ? by either; `[47]` is one digit of those
    listed and `~` a digit left out. Both draw a digit as # does, so that making a number fit its
    country's plan changes that number and nothing else generated after it."""
    out = []
    allowed: list[str] | None = None
    for ch in pattern:
        if allowed is not None:
            if ch == "]":
                out.append(allowed[rng.randrange(10) % len(allowed)])
                allowed = None
            else:
                allowed.append(ch)
        elif ch == "[":
            allowed = []
        elif ch == "#":
            out.append(str(rng.randrange(10)))
        elif ch == "~":
            rng.randrange(10)
        elif ch == "A":
            out.append(rng.choice("ABDEFGHJLNPQRSTUWXYZ"))
        elif ch == "?":
            out.append(rng.choice("0123456789ACDEFHKNPRTVWXY"))
        else:
            out.append(ch)
    return "".join(out)


def _phone(rng: random.Random, country: Country, area: str, local_pattern: str) -> str:
    local = _fill(rng, local_pattern)
    return rng.choice(country.phone_styles).format(
        area=area,
        local=local,
        local_dash=local.replace(" ", "-"),
        local_dot=local.replace(" ", "."),
        local_compact=local.replace(" ", ""),
    )


def _landline(rng: random.Random, country: Country, city: City) -> str:
    return _phone(rng, country, city.area, city.local or country.local_number)


def _mobile(rng: random.Random, country: Country, city: City) -> str:
    area = rng.choice(country.mobile_areas) if country.mobile_areas else city.area
    return _phone(rng, country, area, country.mobile_number)


def _street(rng: random.Random, country: Country) -> str:
    return country.street_style.format(
        n=rng.randrange(1, 240), s=rng.choice(country.streets), t=rng.choice(STREET_TYPES)
    )


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Müller-Lüdenscheidt" -> "mullerludenscheidt"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def _unique(candidate: str, taken: set[str], tail: str = "", sep: str = "") -> str:
    """`candidate` (+ `tail`), numbered from 2 on when already taken (case-insensitively)."""
    value, n = candidate, 2
    while (value + tail).lower() in taken:
        value, n = f"{candidate}{sep}{n}", n + 1
    taken.add((value + tail).lower())
    return value


def _company_name(rng: random.Random, country: Country, industry: str) -> tuple[str, str]:
    """A company name and the words its web domain is made of."""
    word = rng.choice(INDUSTRY_WORDS[industry])
    roll = rng.random()
    if roll < 0.55:
        core = f"{rng.choice(STEMS)} {word}"
    elif roll < 0.8:
        core = f"{rng.choice(country.last_names)} {word}"
    else:
        core = f"{rng.choice(country.last_names)} & {rng.choice(country.last_names)}"
    return core, core.replace("&", "and")


def _website(rng: random.Random, domain: str) -> str:
    return rng.choice(("https://www.{d}", "http://www.{d}", "www.{d}", "https://{d}", "{d}")).format(d=domain)


def _company(rng: random.Random, index: int, names: set[str], domains: set[str]) -> Company:
    country = COUNTRIES[rng.choice(COUNTRY_CODES)]
    city = rng.choice(country.cities)
    industry = rng.choice(INDUSTRY_NAMES)
    core, domain_words = _company_name(rng, country, industry)
    if core.lower() in names:  # two "Summit Logistics" are told apart by town, as people do
        core = f"{core} {city.name}"
    name = f"{_unique(core, names, sep=' ')} {rng.choice(country.suffixes)}"
    domain = _unique(ascii_slug(domain_words), domains) + "." + country.tld
    employees = int(10 ** rng.uniform(0.4, 4.6))
    revenue = None if rng.random() < 0.05 else f"{employees * rng.randrange(60, 420) * 1000:.2f}"
    description = None
    if rng.random() < 0.7:
        adjective = rng.choice(ADJECTIVES)
        article = "an" if adjective[0] in "aeiou" else "a"
        description = f"{name} is {article} {adjective} {industry.lower()} company based in {city.name}."
        if rng.random() < 0.2:
            description += '\nKey account since 2019, "strategic" tier; renewals handled by HQ.'
    return Company(
        index, name, domain, _website(rng, domain), _landline(rng, country, city), industry, employees,
        revenue, _street(rng, country), city.name, city.region, _fill(rng, city.postcode), country.code,
        description,
    )  # fmt: skip


def _break_company(rng: random.Random, company: Company) -> Company:
    if rng.random() < 0.5:
        return replace(company, phone=rng.choice(BAD_PHONES), invalid_reason="phone: not a phone number")
    code = rng.choice(BAD_COUNTRIES)
    return replace(company, country=code, invalid_reason=f"country: unknown code {code}")


def generate_companies(n: int, seed: int) -> list[Company]:
    """`n` companies, the same ones for the same seed, `invalid_count(n)` of them broken on purpose."""
    rng = random.Random(seed * 1_000_003 + 11)
    names: set[str] = set()
    domains: set[str] = set()
    companies = [_company(rng, i, names, domains) for i in range(n)]
    for i in sorted(rng.sample(range(n), invalid_count(n))):
        companies[i] = _break_company(rng, companies[i])
    return companies


_EMAIL_STYLES = ("{f}.{l}", "{f}.{l}", "{f0}{l}", "{f}", "{f}_{l}", "{f}{l}")


def _email(rng: random.Random, first: str, last: str, domain: str, style: str, taken: set[str]) -> str:
    f, lst = ascii_slug(first), ascii_slug(last)
    local = style.format(f=f, l=lst, f0=f[:1])
    if rng.random() < 0.03:
        local = ".".join(part.capitalize() for part in local.split("."))
    return _unique(local, taken, tail="@" + domain) + "@" + domain


def _person_country(rng: random.Random, company: Company | None) -> Country:
    if company is not None and company.country in COUNTRIES and rng.random() < 0.9:
        return COUNTRIES[company.country]
    return COUNTRIES[rng.choice(COUNTRY_CODES)]


def _address(rng: random.Random, country: Country, company: Company | None) -> tuple[str, str, str, str]:
    if company is not None and company.country == country.code and rng.random() < 0.7:
        return company.street, company.city, company.region, company.postal_code
    city = rng.choice(country.cities)
    return _street(rng, country), city.name, city.region, _fill(rng, city.postcode)


def _person(rng: random.Random, index: int, companies: list[Company], taken: set[str]) -> Person:
    company = rng.choice(companies) if companies and rng.random() < 0.96 else None
    country = _person_country(rng, company)
    first, last = rng.choice(country.first_names), rng.choice(country.last_names)
    domain = company.domain if company else rng.choice(country.freemail)
    style = _EMAIL_STYLES[company.index % len(_EMAIL_STYLES)] if company else "{f}.{l}"
    city = rng.choice(country.cities)
    title, department = rng.choice(ROLES) if rng.random() < 0.9 else (None, None)
    age_days = rng.randrange(22 * 365, 66 * 365)
    return Person(
        index, first, last, _email(rng, first, last, domain, style, taken),
        _landline(rng, country, city) if rng.random() < 0.85 else None,
        _mobile(rng, country, city) if rng.random() < 0.7 else None,
        title, department,
        REFERENCE_DAY - timedelta(days=age_days) if rng.random() < 0.6 else None,
        rng.random() < 0.08,
        *_address(rng, country, company), country.code,
        company.index if company else None,
    )  # fmt: skip


def _break_person(rng: random.Random, person: Person) -> Person:
    roll = rng.random()
    local, _, domain = person.email.partition("@")
    if roll < 0.25:
        return replace(person, email=f"{local}@", invalid_reason="email: missing domain")
    if roll < 0.5:
        return replace(person, email=f"{local}.{domain}", invalid_reason="email: missing @")
    if roll < 0.75:
        return replace(person, phone=rng.choice(BAD_PHONES), invalid_reason="phone: not a phone number")
    code = rng.choice(BAD_COUNTRIES)
    return replace(person, country=code, invalid_reason=f"country: unknown code {code}")


def generate_people(n: int, companies: list[Company], seed: int) -> list[Person]:
    """`n` people, mostly working for one of `companies`, with unique emails; 1% broken on purpose."""
    rng = random.Random(seed * 1_000_003 + 29)
    taken: set[str] = set()
    people = [_person(rng, i, companies, taken) for i in range(n)]
    for i in sorted(rng.sample(range(n), invalid_count(n))):
        people[i] = _break_person(rng, people[i])
    return people


def international_phone(phone: str | None, country: str) -> str | None:
    """A phone number as helpdesks keep it (E.164: their people carry no country to read a national
    number in); one that cannot be read stays as typed."""
    try:
        return to_e164(phone, country) if phone else None
    except PhoneError:
        return phone


# What customers write to support: (subject, first message, kind), for helpdesk emulators' tickets.
TICKET_TOPICS = (
    ("Cannot log in to the customer portal", "The password reset mail never arrives.", "problem"),
    ("Invoice shows the wrong VAT number", "Our VAT number changed; the invoice is old.", "incident"),
    ("How do I export my order history?", "We need all orders of last year as a spreadsheet.", "question"),
    ("Delivery arrived damaged", "Two of the five boxes were crushed; photos attached.", "incident"),
    ("Please add a second billing contact", "Accounts payable wants copies of every invoice.", "task"),
    ("API returns 500 on order creation", "Since this morning every POST to /orders fails.", "problem"),
    ("Request: dark mode in the dashboard", "Several of our operators work night shifts.", "question"),
)  # fmt: skip
