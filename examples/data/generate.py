#!/usr/bin/env python3
"""Generates the synthetic suspect lists of the `two_agencies` example.

Deterministic (fixed seed): running it again rewrites the same files.
Every person, e-mail address and phone number is made up; e-mail domains
are the reserved example.* names. Phone numbers are random digits in real
national formats (E.164), so some may exist: they are not anybody's data.

Output (next to this script):
  agency_a.csv, agency_b.csv   suspect_id,full_name,date_of_birth,nationality,email,phone
  expected_overlap.csv         a_id,b_id,shared_via  (email, phone or email+phone)
"""
import csv
import os
import random

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
            if number not in self.phones:
                self.phones.add(number)
                return number

    def person(self):
        rng = self.rng
        country = rng.choice(list(NAMES))
        first, last = rng.choice(NAMES[country][0]), rng.choice(NAMES[country][1])
        dob = f"{rng.randrange(1950, 2006)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        return {"full_name": f"{first} {last}", "date_of_birth": dob, "nationality": country,
                "email": self.email(first, last), "phone": self.phone(country), "_first": first, "_last": last}


def main():
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
    a_order = list(range(N_A)); rng.shuffle(a_order)
    b_order = list(range(N_B)); rng.shuffle(b_order)
    a_ids = {}  # original index -> id
    b_ids = {}
    here = os.path.dirname(os.path.abspath(__file__))
    fields = ["suspect_id", "full_name", "date_of_birth", "nationality", "email", "phone"]
    with open(os.path.join(here, "agency_a.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(fields)
        for n, i in enumerate(a_order):
            a_ids[i] = f"A-{n + 1:06d}"
            p = a_rows[i][1]
            w.writerow([a_ids[i]] + [p[k] for k in fields[1:]])
    with open(os.path.join(here, "agency_b.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(fields)
        for n, i in enumerate(b_order):
            b_ids[i] = f"B-{2024_000000 + n * 7 + 3}"
            p = b_rows[i][1]
            w.writerow([b_ids[i]] + [p[k] for k in fields[1:]])
    with open(os.path.join(here, "expected_overlap.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["a_id", "b_id", "shared_via"])
        for row in sorted((a_ids[i], b_ids[i], kind) for i, (kind, _, _) in enumerate(shared)):
            w.writerow(row)


if __name__ == "__main__":
    main()
