#!/usr/bin/env python3
"""Generate AAF-like complete files for the directory sync benchmark (issue 6).

    benches/gen_aaf.py OUT_DIR [LYCEES=470] [STAFF=20]

Writes OUT_DIR/ENT_BENCH_Complet_<date>_EtabEducNat_0000.xml (ISO-8859-15, as some real
exports) and OUT_DIR/ENT_BENCH_Complet_<date>_PersEducNat_0000.xml (UTF-8): LYCEES
Île-de-France lycées with valid UAIs (the département prefixes and académies of the
region) and STAFF people each (1 head, 1 gestionnaire, teachers, a librarian, vie
scolaire; one teacher in two lycées). Deterministic: the same arguments give the same files.
"""
import random
import sys
import unicodedata
from pathlib import Path

ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ"
# Département prefix, académie (AAF name), share of the region's lycées (2013 figures).
DEPTS = [("075", "PARIS", 88), ("077", "CRETEIL", 60), ("093", "CRETEIL", 63), ("094", "CRETEIL", 51),
         ("078", "VERSAILLES", 54), ("091", "VERSAILLES", 47), ("092", "VERSAILLES", 57), ("095", "VERSAILLES", 49)]
FIRST = ["Claire", "Philippe", "Sophie", "Thomas", "Nadia", "Lucas", "Inès", "Hélène", "Jérôme", "Chloé",
         "Mathéo", "Zoé", "Loïc", "Anaïs", "Noël", "Maëlle", "François", "Céline", "Amélie", "Raphaël"]
LAST = ["MARTIN", "LEFÈVRE", "PETIT", "DUBOIS", "ROUSSEAU", "GARCIA", "FAURE", "MOREAU", "LAURENT", "SIMON",
        "MICHEL", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD", "BONNET", "DUPONT"]
FUNCTIONS = ["DIR", "ADF", "DOC", "EDU", "EDU"] + ["ENS"] * 15


def ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


def uai(prefix: str, seq: int) -> str:
    digits = f"{prefix}{seq:04d}"
    return digits + ALPHABET[int(digits) % 23]


def attr(name, *values):
    vals = "".join(f"<value>{v}</value>" if v else "<value/>" for v in values) or "<value/>"
    return f'<attr name="{name}">{vals}</attr>'


def request(category_attr, category, ident, attrs):
    return (f"<addRequest><operationalAttributes>{attr(category_attr, category)}</operationalAttributes>"
            f"<identifier><id>{ident}</id></identifier><attributes>{''.join(attrs)}</attributes></addRequest>\n")


def main():
    out = Path(sys.argv[1])
    lycees = int(sys.argv[2]) if len(sys.argv) > 2 else 470
    staff = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    rng = random.Random(6)
    out.mkdir(parents=True, exist_ok=True)
    total = sum(d[2] for d in DEPTS)
    etabs = []
    for prefix, aca, share in DEPTS:
        for _ in range(round(lycees * share / total)):
            etabs.append((prefix, aca))
    etabs = (etabs + etabs)[:lycees]
    head = '<?xml version="1.0" encoding="{}"?>\n<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n<ficAlimMENESR>\n'
    structures = []
    with open(out / "ENT_BENCH_Complet_20250901_EtabEducNat_0000.xml", "w", encoding="iso-8859-15") as f:
        f.write(head.format("ISO-8859-15"))
        for i, (prefix, aca) in enumerate(etabs):
            jid = str(100000 + i)
            code = uai(prefix, 100 + i)
            structures.append(jid)
            pc = f"{prefix[1:]}{rng.randrange(100, 999):03d}" if prefix != "075" else f"750{rng.randrange(1, 21):02d}"
            f.write(request("categorieStructure", "EtabEducNat", jid, [
                attr("ENTStructureJointure", jid), attr("ENTStructureUAI", code), attr("ENTEtablissementUAI", code),
                attr("ENTStructureSIREN", f"19{code[:7]}{i % 100000:05d}"),
                attr("ENTStructureNomCourant", f"LYCEE GENERAL ET TECHNOLOGIQUE${rng.choice(LAST)} {i}"),
                attr("ENTStructureTypeStruct", "LYC"), attr("ENTEtablissementContrat", "PU"),
                attr("street", f"{rng.randrange(1, 200)} rue de l'École"), attr("postalCode", pc),
                attr("l", "VILLE"), attr("telephoneNumber", f"+33 1 {rng.randrange(10, 99)} 00 00 {i % 100:02d}"),
                attr("ENTStructureMailSI", f"ce.{code.lower()}@ac-{aca.lower()}.fr"), attr("ENTServAcAcademie", aca),
                attr("ENTStructureClasses", "2NDE1$2NDE 1", "TG1$TERMINALE 1"),
            ]))
        f.write("</ficAlimMENESR>\n")
    with open(out / "ENT_BENCH_Complet_20250901_PersEducNat_0000.xml", "w", encoding="utf-8") as f:
        f.write(head.format("UTF-8"))
        n = 0
        for s, jid in enumerate(structures):
            for k in range(staff):
                n += 1
                pid = str(5000000 + n)
                fn = FUNCTIONS[k % len(FUNCTIONS)]
                first, last = rng.choice(FIRST), rng.choice(LAST)
                where = [jid]
                if k == staff - 1 and s + 1 < len(structures):
                    where.append(structures[s + 1])  # one teacher shared with the next lycée
                functions = [f"{w}${fn}$LIBELLE$L0001$DISCIPLINE" for w in where]
                f.write(request("categoriePersonne", "PersEducNat", pid, [
                    attr("ENTPersonJointure", pid), attr("ENTPersonDateNaissance", "01/01/1980"),
                    attr("sn", last), attr("givenName", first), attr("personalTitle", "Mme"),
                    attr("mail", f"{ascii(first)}.{ascii(last)}{n}@ac-versailles.fr"),
                    attr("ENTPersonStructRattach", *where), attr("ENTPersonFonctions", *functions),
                    attr("PersEducNatPresenceDevantEleves", "O" if fn == "ENS" else "N"),
                ]))
        f.write("</ficAlimMENESR>\n")
    print(f"{len(structures)} lycées, {n} staff in {out}")


if __name__ == "__main__":
    main()
