#!/usr/bin/env python3
"""Generates the synthetic suspect lists of the `two_agencies` example.

Deterministic (fixed seed): running it again rewrites the same files.
Every person, e-mail address and phone number is made up; e-mail domains
are the reserved example.* names. Phone numbers are random digits in real
national formats (E.164), so some may exist: they are not anybody's data.

Agency A keeps tidy records (E.164 phone numbers, ISO dates, "First Last").
Agency B, a UK agency, writes what its officers typed: national UK phone
numbers, foreign numbers with spaces or a 00 prefix, upper-case and padded
e-mail addresses, "LAST, First" names, dd/mm/yyyy dates, some dates
missing, and a few values that are not identifiers at all.

Phone numbers are checked with the `phonenumbers` package, the Python port
of libphonenumber, at the metadata version the Rust `phonenumber` crate in
Cargo.lock carries (`pip install phonenumbers==9.0.33`): numbering plans
change between versions, and a number valid in one may not be in another.

Output (next to this script):
  agency_a.csv, agency_b.csv   suspect_id,full_name,date_of_birth,nationality,email,phone
  expected_overlap.csv         a_id,b_id,shared_via (kinds that match, space-separated)
  expected_errors.csv          agency,record_id,field (values that must be reported)

and, for intersection-sum (the `fiu_totals` example), from its own seed:
  fiu_accounts.csv             account,amount_eur_cents,transfers (a financial-intelligence
                               unit's accounts; some accounts have two rows, to be added up)
  police_accounts.csv          case_id,account (suspect accounts, as officers typed them:
                               spaces, lower case; some accounts in two cases)
  expected_sums.csv            cardinality,amount_eur_cents,transfers over the shared accounts

and, for the multi-party example (`five_agencies`), from its own seed:
  multi/{NL,DE,FR,BE,PL}.csv   suspect_id,email,wallet (as officers typed them: some
                               addresses upper-case or padded, some wallets as 0X + upper
                               case; a few suspects filed twice)
  multi/expected_three_of_five.csv
                               agency,suspect_id,held_by: the records whose e-mail address
                               or wallet at least three of the five agencies hold, and how many

`python3 generate.py --accounts` writes only the account and multi-party
files, `--multi` only the multi-party ones (neither needs phonenumbers).
"""
import csv
import os
import random
import sys

try:
    import phonenumbers
except ImportError:  # only the suspect lists need it; --accounts does not
    phonenumbers = None

SEED = 20261128
N_A, N_B = 40_000, 25_000
SHARED_BOTH, SHARED_EMAIL_ONLY, SHARED_PHONE_ONLY = 1_000, 300, 200

NAMES = {
    "GB": (["Oliver", "George", "Harry", "Jack", "Amelia", "Olivia", "Isla", "Emily", "Thomas", "Sophie", "James", "Charlotte"],
           ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "Walker", "Wright"]),
    "FR": (["Gabriel", "Léo", "Raphaël", "Louis", "Jade", "Louise", "Emma", "Chloé", "Hugo", "Inès", "Noé", "Léa"],
           ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Lefèvre", "Girard"]),
    "DE": (["Ben", "Paul", "Jonas", "Finn", "Mia", "Emma", "Hannah", "Lena", "Lukas", "Jürgen", "Sophie", "Maximilian"],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Schäfer"]),
    "NL": (["Daan", "Sem", "Lucas", "Noah", "Emma", "Julia", "Tess", "Sophie", "Bram", "Fenna", "Jesse", "Anouk"],
           ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer", "de Boer", "Mulder"]),
    "ES": (["Hugo", "Martín", "Lucas", "Mateo", "Lucía", "Sofía", "Martina", "María", "Alejandro", "Paula", "Álvaro", "Carmen"],
           ["García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz"]),
    "IT": (["Leonardo", "Francesco", "Alessandro", "Lorenzo", "Sofia", "Giulia", "Aurora", "Alice", "Matteo", "Chiara", "Giuseppe", "Francesca"],
           ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo"]),
    "PL": (["Antoni", "Jan", "Jakub", "Szymon", "Zuzanna", "Julia", "Zofia", "Hanna", "Piotr", "Katarzyna", "Krzysztof", "Małgorzata"],
           ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski"]),
    "SE": (["William", "Liam", "Noah", "Hugo", "Alice", "Maja", "Elsa", "Astrid", "Lars", "Ingrid", "Björn", "Åsa"],
           ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson"]),
    "RO": (["Andrei", "David", "Alexandru", "Ștefan", "Maria", "Ioana", "Elena", "Andreea", "Mihai", "Ana", "Gabriel", "Cristina"],
           ["Popescu", "Ionescu", "Popa", "Pop", "Radu", "Dumitru", "Stan", "Stoica", "Gheorghe", "Matei", "Ciobanu", "Rusu"]),
    "TR": (["Yusuf", "Eymen", "Ömer", "Mustafa", "Zeynep", "Elif", "Defne", "Asel", "Emre", "Ayşe", "Mehmet", "Fatma"],
           ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın", "Özdemir", "Arslan", "Doğan"]),
    "NG": (["Chinedu", "Emeka", "Oluwaseun", "Ifeanyi", "Ngozi", "Chioma", "Adaeze", "Funmilayo", "Tunde", "Amaka", "Babajide", "Yetunde"],
           ["Okafor", "Adeyemi", "Okonkwo", "Eze", "Balogun", "Nwosu", "Ogunleye", "Chukwu", "Bello", "Olawale", "Obi", "Adebayo"]),
    "BR": (["Miguel", "Arthur", "Heitor", "Davi", "Helena", "Alice", "Laura", "Manuela", "João", "Beatriz", "Pedro", "Mariana"],
           ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes", "Costa", "Ribeiro"]),
}

# E.164: country code and a mobile-like national significant number pattern.
PHONES = {
    "GB": ("44", "7{d9}"), "FR": ("33", "6{d8}"), "DE": ("49", "15{d9}"), "NL": ("31", "6{d8}"),
    "ES": ("34", "6{d8}"), "IT": ("39", "3{d9}"), "PL": ("48", "5{d8}"), "SE": ("46", "7{d8}"),
    "RO": ("40", "7{d8}"), "TR": ("90", "5{d9}"), "NG": ("234", "80{d8}"), "BR": ("55", "119{d8}"),
}
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "post.example.org", "inbox.example.net"]
ASCII = str.maketrans("áàâäãåçéèêëíìîïñóòôöõøúùûüýÿæœßłśźżćńąęşșțğıčšž", "aaaaaaceeeeiiiinoooooouuuuyyæœslszzcnaesstgicsz")


def ascii_fold(s):
    s = s.lower().translate(ASCII).replace("æ", "ae").replace("œ", "oe")
    return "".join(ch for ch in s if ch.isalnum())


class Population:
    def __init__(self, rng):
        self.rng = rng
        self.emails = set()
        self.phones = set()
        self.name_dob = set()

    def email(self, first, last):
        rng = self.rng
        for attempt in range(1000):
            style = rng.randrange(4)
            f, l = ascii_fold(first), ascii_fold(last)
            local = [f"{f}.{l}", f"{f[0]}{l}", f"{f}{l}{rng.randrange(10, 99)}", f"{l}.{f}{rng.randrange(1, 9999)}"][style]
            if attempt:
                local += str(rng.randrange(100, 100000))
            address = f"{local}@{rng.choice(DOMAINS)}"
            if address not in self.emails:
                self.emails.add(address)
                return address
        raise RuntimeError("no unique e-mail address")

    def phone(self, country):
        cc, pattern = PHONES[country]
        while True:
            n = int(pattern.split("{d")[1].rstrip("}"))
            number = "+" + cc + pattern.split("{")[0] + "".join(str(self.rng.randrange(10)) for _ in range(n))
            if not phonenumbers.is_valid_number(phonenumbers.parse(number)):
                continue
            if number not in self.phones:
                self.phones.add(number)
                return number

    def person(self):
        rng = self.rng
        country = rng.choice(list(NAMES))
        while True:
            first, last = rng.choice(NAMES[country][0]), rng.choice(NAMES[country][1])
            dob = f"{rng.randrange(1950, 2006)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            # Name + date of birth is a key: no two people may share it by chance.
            key = (tuple(sorted(ascii_fold(t) for t in f"{first} {last}".replace("-", " ").split())), dob)
            if key not in self.name_dob:
                self.name_dob.add(key)
                break
        return {"full_name": f"{first} {last}", "date_of_birth": dob, "nationality": country,
                "email": self.email(first, last), "phone": self.phone(country), "_first": first, "_last": last}


def messy_b(rng, p):
    """Agency B's spelling of a person's record."""
    email = p["email"]
    email = rng.choice([email, email.upper(), " " + email, email.capitalize() + " ", email.replace("@", "@").title()])
    number = phonenumbers.parse(p["phone"])
    if p["nationality"] == "GB":
        phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    else:
        intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        phone = rng.choice([intl, "00" + intl[1:], intl.replace(" ", "-"), p["phone"]])
    first, last = p["_first"], p["_last"]
    name = rng.choice([f"{first} {last}", f"{last.upper()}, {first}", f"{last}, {first}", f"{first.upper()} {last.upper()}"])
    y, m, d = p["date_of_birth"].split("-")
    dob = "" if rng.random() < 0.08 else f"{d}/{m}/{y}"
    return {"full_name": name, "date_of_birth": dob, "nationality": p["nationality"], "email": email, "phone": phone}


def main():
    # Must equal the metadata version of the Rust `phonenumber` crate (0.3.10+9.0.33).
    assert phonenumbers is not None and phonenumbers.__version__ == "9.0.33", "pip install phonenumbers==9.0.33"
    rng = random.Random(SEED)
    pop = Population(rng)
    shared = []
    for kind, count in (("email+phone", SHARED_BOTH), ("email", SHARED_EMAIL_ONLY), ("phone", SHARED_PHONE_ONLY)):
        for _ in range(count):
            p = pop.person()
            q = dict(p)
            if kind == "email":  # B knows a different phone for this person
                q["phone"] = pop.phone(p["nationality"])
            elif kind == "phone":  # B knows a different e-mail address
                q["email"] = pop.email(p["_first"], p["_last"])
            shared.append((kind, p, q))
    a_rows = [(None, p) for _, p, _ in shared] + [(None, pop.person()) for _ in range(N_A - len(shared))]
    b_rows = [(None, q) for _, _, q in shared] + [(None, pop.person()) for _ in range(N_B - len(shared))]
    b_rows = [(None, messy_b(rng, p)) for _, p in b_rows]
    # A few values that are no identifiers at all, on records that are not
    # shared, so that the known overlap stays as it is.
    bad_b = {}
    for i in rng.sample(range(len(shared), N_B), 60):
        field = rng.choice(["phone", "email", "date_of_birth"])
        b_rows[i][1][field] = {"phone": rng.choice(["n/a", "unknown", "0791"]),
                               "email": rng.choice(["see file 7", "john at example dot com", "x@"]),
                               "date_of_birth": rng.choice(["31/02/1980", "1980", "unknown"])}[field]
        bad_b[i] = field
    bad_a = {}
    for i in rng.sample(range(len(shared), N_A), 40):
        a_rows[i][1]["email"] = a_rows[i][1]["email"].replace("@", " at ")
        bad_a[i] = "email"
    a_order = list(range(N_A)); rng.shuffle(a_order)
    b_order = list(range(N_B)); rng.shuffle(b_order)
    a_ids = {}  # original index -> id
    b_ids = {}
    here = os.path.dirname(os.path.abspath(__file__))
    fields = ["suspect_id", "full_name", "date_of_birth", "nationality", "email", "phone"]

    def write_agency(name, order, rows, ids, id_of):
        """One agency's CSV, its rows in `order`; fills `ids` (index -> id)."""
        with open(os.path.join(here, name), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(fields)
            for n, i in enumerate(order):
                ids[i] = id_of(n)
                p = rows[i][1]
                w.writerow([ids[i]] + [p[k] for k in fields[1:]])

    write_agency("agency_a.csv", a_order, a_rows, a_ids, lambda n: f"A-{n + 1:06d}")
    write_agency("agency_b.csv", b_order, b_rows, b_ids, lambda n: f"B-{2024_000000 + n * 7 + 3}")
    with open(os.path.join(here, "expected_overlap.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["a_id", "b_id", "shared_via"])
        for i, (kind, _, _) in enumerate(shared):
            kinds = set(kind.split("+"))
            if b_rows[i][1]["date_of_birth"]:
                kinds.add("name+date_of_birth")
            shared[i] = (a_ids[i], b_ids[i], " ".join(sorted(kinds)))
        for row in sorted(shared):
            w.writerow(row)
    with open(os.path.join(here, "expected_errors.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["agency", "record_id", "field"])
        rows = [("A", a_ids[i], field) for i, field in bad_a.items()] + [("B", b_ids[i], field) for i, field in bad_b.items()]
        for row in sorted(rows):
            w.writerow(row)


N_FIU, N_FIU_TWICE, N_POLICE, N_SHARED_ACCOUNTS = 18_000, 2_000, 3_000, 1_200
# Countries whose IBANs carry no national check digit: (country, BBAN layout
# as (alphabet, length) groups).
IBAN_LAYOUTS = {
    "NL": [("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4), ("0123456789", 10)],
    "DE": [("0123456789", 18)],
    "GB": [("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4), ("0123456789", 14)],
    "AT": [("0123456789", 16)],
}


def iban(rng):
    """A random IBAN with valid check digits (ISO 13616, mod 97)."""
    country = rng.choice(sorted(IBAN_LAYOUTS))
    bban = "".join(rng.choice(alphabet) for alphabet, n in IBAN_LAYOUTS[country] for _ in range(n))
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def typed(rng, account):
    """An account as an officer typed it: grouped by four, lower case, or as is."""
    r = rng.random()
    if r < 0.4:
        return " ".join(account[i:i + 4] for i in range(0, len(account), 4))
    if r < 0.6:
        return account.lower()
    return account


def accounts(here):
    rng = random.Random(SEED + 7)
    fiu = set()
    while len(fiu) < N_FIU:
        fiu.add(iban(rng))
    fiu = sorted(fiu)
    rng.shuffle(fiu)
    rows = [(a, rng.randrange(100, 200_000_000), rng.randrange(1, 500)) for a in fiu]
    rows += [(a, rng.randrange(100, 200_000_000), rng.randrange(1, 500)) for a in rng.sample(fiu, N_FIU_TWICE)]
    rng.shuffle(rows)
    shared = rng.sample(fiu, N_SHARED_ACCOUNTS)
    others = set()
    while len(others) < N_POLICE - N_SHARED_ACCOUNTS - 100:
        a = iban(rng)
        if a not in fiu:
            others.add(a)
    # 100 accounts named in two cases each.
    police = shared + sorted(others) + rng.sample(shared, 50) + rng.sample(sorted(others), 50)
    rng.shuffle(police)
    with open(os.path.join(here, "fiu_accounts.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["account", "amount_eur_cents", "transfers"])
        w.writerows(rows)
    with open(os.path.join(here, "police_accounts.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["case_id", "account"])
        for n, a in enumerate(police):
            w.writerow([f"CASE-{2026_0000 + n // 3}", typed(rng, a)])
    shared_set = set(shared)
    with open(os.path.join(here, "expected_sums.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["cardinality", "amount_eur_cents", "transfers"])
        w.writerow([
            len(shared_set),
            sum(amount for a, amount, _ in rows if a in shared_set),
            sum(t for a, _, t in rows if a in shared_set),
        ])


AGENCIES = ["NL", "DE", "FR", "BE", "PL"]
N_POOL = 3_000
# How many of the five agencies know a cross-border suspect: 1 to 5.
HOLDERS = [1] * 40 + [2] * 30 + [3] * 15 + [4] * 10 + [5] * 5


def wallet(rng):
    """A random Ethereum address, in lower case (no EIP-55 mixed case)."""
    return "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40))


def typed_email(rng, e):
    r = rng.random()
    return e.upper() if r < 0.2 else f"  {e} " if r < 0.3 else e


def typed_wallet(rng, w):
    return "0X" + w[2:].upper() if rng.random() < 0.3 else w


def five_agencies(here):
    """Five agencies' suspect lists for the multi-party example, and which
    records are known (by an e-mail address or a wallet) to at least three."""
    rng = random.Random(SEED + 11)
    used = set()

    def email():
        while True:
            e = f"suspect{rng.randrange(10**8):08d}@{rng.choice(DOMAINS)}"
            if e not in used:
                used.add(e)
                return e

    def new_wallet():
        while True:
            w = wallet(rng)
            if w not in used:
                used.add(w)
                return w

    rows = {a: [] for a in AGENCIES}  # agency -> [(email or "", wallet or "")]
    for _ in range(N_POOL):
        e = email()
        w = new_wallet() if rng.random() < 0.5 else ""
        for a in rng.sample(AGENCIES, rng.choice(HOLDERS)):
            # An agency knows the e-mail address, the wallet, or both.
            r = rng.random()
            if w and r < 0.25:
                rows[a].append(("", w))
            elif w and r < 0.5:
                rows[a].append((e, w))
            else:
                rows[a].append((e, ""))
    for a in AGENCIES:
        for _ in range(rng.randrange(4_000, 7_000)):
            rows[a].append((email(), new_wallet() if rng.random() < 0.3 else ""))
        # A few suspects filed twice, under two ids.
        rows[a] += rng.sample(rows[a], 10)
        rng.shuffle(rows[a])
    holders = {}  # canonical key -> agencies
    for a in AGENCIES:
        for e, w in rows[a]:
            for key in (e, w):
                if key:
                    holders.setdefault(key, set()).add(a)
    out = os.path.join(here, "multi")
    os.makedirs(out, exist_ok=True)
    expected = []
    for a in AGENCIES:
        with open(os.path.join(out, f"{a}.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["suspect_id", "email", "wallet"])
            for n, (e, wal) in enumerate(rows[a]):
                sid = f"{a}-{2026_00000 + n}"
                w.writerow([sid, typed_email(rng, e) if e else "", typed_wallet(rng, wal) if wal else ""])
                held = max(len(holders[k]) for k in (e, wal) if k)
                if held >= 3:
                    expected.append((a, sid, held))
    with open(os.path.join(out, "expected_three_of_five.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["agency", "suspect_id", "held_by"])
        w.writerows(sorted(expected))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.argv[1:] == ["--multi"]:
        five_agencies(here)
        sys.exit(0)
    if sys.argv[1:] != ["--accounts"]:
        main()
    accounts(here)
    five_agencies(here)
