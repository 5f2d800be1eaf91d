"""The demo data set seeded by `esoutien demo`: catalogue, operators, users, ticket stories."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from esoutien.accounts.models import Role
from esoutien.tickets.models import Kind, Severity

PARIS = ZoneInfo("Europe/Paris")
SUBSCRIPTION_START = date(2024, 1, 1)

# fmt: off
ESERVICES = [
    ("ftte-eligibility", "Éligibilité FTTE",
     "Vérification de l'éligibilité des adresses et des sites professionnels à la fibre "
     "entreprise (FTTE) : interrogation par adresse, par immeuble ou par référence de PTO, et "
     "restitution des offres et délais disponibles."),
    ("e-sav", "e-SAV",
     "Signalisation et suivi des dérangements sur les lignes fibre livrées : dépôt des "
     "signalisations, échanges avec les équipes d'intervention et comptes-rendus de "
     "rétablissement."),
    ("fci", "FCI",
     "Flux de commande d'interconnexion : transmission des commandes d'accès, suivi de leurs "
     "statuts (EN_COURS, ACQUITTEE, LIVREE) et notifications de mise en service."),
]
OPERATORS = [
    ("ALFA", "Alfa Télécom", "812345676", "noc@alfa.example",
     ["ftte-eligibility", "e-sav", "fci"]),
    ("BRAV", "Bravo Fibre", "897654323", "supervision@brav.example", ["e-sav"]),
]
# key, e-mail, full name, role, operator code
USERS = [
    ("alice", "alice@alfa.example", "Alice Martin", Role.OPERATOR_MEMBER, "ALFA"),
    ("manager", "manager@alfa.example", "Camille Lefèvre", Role.OPERATOR_MANAGER, "ALFA"),
    ("bob", "bob@brav.example", "Bob Durand", Role.OPERATOR_MEMBER, "BRAV"),
    ("agent", "agent@provider.example", "Julien Moreau", Role.AGENT, None),
    ("supervisor", "supervisor@provider.example", "Sophie Bernard", Role.SUPERVISOR, None),
    ("admin", "admin@provider.example", "Administrateur e-soutien", Role.ADMINISTRATOR, None),
]
TEAM = "Support e-services"
# fmt: on

# --- Support hours and SLA (issue 6) -------------------------------------------------------
# A "business day" is one full day of the calendar's own hours: 10 h on an 08:00-18:00
# calendar, 8 h on a 09:00-17:00 one. Targets are stored as business durations.
# calendar name: (weekdays open, opens, closes, closed on public holidays)
CALENDARS = {
    "Jours ouvrés 8 h - 18 h": (range(5), time(8), time(18), True),
    "Du lundi au samedi 8 h - 18 h": (range(6), time(8), time(18), True),
    "Jours ouvrés 9 h - 17 h": (range(5), time(9), time(17), False),
}
# e-service code: calendar name
SUPPORT_CALENDARS = {
    "ftte-eligibility": "Jours ouvrés 8 h - 18 h",
    "e-sav": "Du lundi au samedi 8 h - 18 h",
    "fci": "Jours ouvrés 9 h - 17 h",
}
# (e-service code, severity or "" for any, take-charge target, resolution target)
SLA_POLICIES = [
    ("ftte-eligibility", "", timedelta(hours=4), timedelta(hours=2 * 10)),  # 2 business days
    ("e-sav", "", timedelta(hours=1), timedelta(hours=10)),
    ("e-sav", Severity.CRITICAL.value, timedelta(hours=1), timedelta(hours=4)),
    ("fci", "", timedelta(hours=8), timedelta(hours=5 * 8)),  # 5 business days
]
PHONES = {"alice": "01 84 60 12 34", "manager": "01 84 60 12 00", "bob": "02 51 44 87 10"}


@dataclass(frozen=True)
class Step:
    """One action on a ticket, ``after`` hours after the previous one."""

    action: str
    after: float
    who: str
    text: str = ""
    cause: str = ""
    actions: str = ""


@dataclass(frozen=True)
class Scenario:
    operator: str
    eservice: str
    kind: str
    severity: str
    filer: str
    age_days: float
    subject: str
    description: str
    line: str = ""
    site: str = ""
    ref: str = ""
    files: tuple[tuple[str, str], ...] = ()
    steps: tuple[Step, ...] = field(default_factory=tuple)


# fmt: off
INC, REQ = Kind.INCIDENT, Kind.REQUEST
CRIT, MAJ, MIN = Severity.CRITICAL, Severity.MAJOR, Severity.MINOR
LOG = ("mesures-optiques.txt",
       "PTO  lambda  attenuation\n1310nm  -18.7 dBm\n1550nm  -27.9 dBm (hors seuil)\n")

SCENARIOS: list[Scenario] = [
    # --- acknowledged ------------------------------------------------------------------
    Scenario("ALFA", "e-sav", INC, MAJ, "alice", 1.2, "Perte de synchronisation sur le lien FTTE",
             "Le CPE du client ne synchronise plus depuis ce matin 7 h 40. Redémarrage du "
             "boîtier effectué sans effet, voyant PON rouge.", line="FI-2041-7A3C",
             site="14 rue de la Marne, 85000 La Roche-sur-Yon", ref="ALFA-INC-20931",
             steps=(Step("inquiry", 6, "alice",
                         "Pouvez-vous nous indiquer un délai de prise en charge ? Le client "
                         "est un cabinet médical."),)),
    Scenario("ALFA", "ftte-eligibility", REQ, MIN, "manager", 2.1,
             "Éligibilité erronée pour une adresse",
             "L'adresse 3 impasse des Glycines à Challans ressort non éligible alors que le "
             "bâtiment voisin est raccordé et que le PM est déployé depuis mars.",
             site="3 impasse des Glycines, 85300 Challans",
             files=(("capture-eligibilite.txt",
                     "GET /eligibilite?adresse=3+impasse+des+Glycines+85300\n"
                     "-> 200 {\"statut\": \"NON_ELIGIBLE\", \"motif\": \"HORS_ZONE\"}\n"),)),
    Scenario("ALFA", "fci", INC, MAJ, "alice", 0.8, "Commande FCI bloquée au statut EN_COURS",
             "La commande CMD-ALFA-558201 est au statut EN_COURS depuis 6 jours ouvrés, sans "
             "notification d'acquittement ni rejet.", ref="CMD-ALFA-558201",
             steps=(Step("assign", 2, "supervisor", "agent"),
                    Step("note", 0.5, "agent",
                         "Vérifier côté médiation si le flux de retour a été émis."))),
    Scenario("BRAV", "e-sav", INC, CRIT, "bob", 0.3, "Coupure totale sur un client entreprise",
             "Plus aucun service sur le lien du client depuis 8 h 15, alarme LOS remontée sur "
             "notre OLT. Client entreprise avec GTR 4 h.", line="BR-7710-K2P9",
             site="ZA des Ajoncs, 85190 Aizenay"),
    Scenario("BRAV", "e-sav", REQ, MIN, "bob", 3.4, "Demande de mesure réflectométrique",
             "Nous souhaitons une mesure OTDR sur la ligne pour comparer avec nos relevés "
             "après une série de micro-coupures.", line="BR-3307-T5A1"),
    # --- in progress --------------------------------------------------------------------
    Scenario("ALFA", "e-sav", INC, MAJ, "alice", 4.2, "Débit dégradé sur un accès FTTE 1 Gbit/s",
             "Le client mesure 180 Mbit/s en descendant sur un accès 1 Gbit/s, tests faits en "
             "filaire depuis le CPE.", line="FI-3318-B0D4",
             steps=(Step("take", 1.5, "agent"),
                    Step("note", 0.5, "agent", "Atténuation correcte au PM, suspicion de "
                         "connecteur encrassé au PTO."),
                    Step("reply", 2, "agent", "Une intervention est planifiée demain matin "
                         "entre 8 h et 12 h ; le technicien appellera le contact du site."))),
    Scenario("ALFA", "fci", REQ, MIN, "manager", 6.3, "Accusé de commande FCI non reçu",
             "Nous n'avons pas reçu l'accusé de réception des commandes envoyées hier entre "
             "14 h et 16 h (lot de 12 commandes).",
             steps=(Step("take", 3, "agent"),
                    Step("ask", 1, "agent", "Pouvez-vous nous transmettre les identifiants "
                         "d'échange (en-têtes des flux) des commandes concernées ?"),
                    Step("answer", 5, "manager", "Voici les identifiants : FX-20931 à "
                         "FX-20942, émis depuis notre passerelle de production."),
                    Step("note", 2, "agent", "Flux bien reçus, rejetés par le contrôle de "
                         "schéma ; ticket ouvert auprès de l'équipe intégration."))),
    Scenario("ALFA", "ftte-eligibility", INC, CRIT, "alice", 1.9,
             "Service d'éligibilité FTTE en erreur 500 sur l'interrogation par adresse",
             "Depuis 10 h, toutes nos interrogations par adresse renvoient une erreur 500. "
             "L'interrogation par référence d'immeuble fonctionne.",
             steps=(Step("take", 0.3, "agent"),
                    Step("reply", 1, "agent", "Anomalie reproduite, l'équipe applicative "
                         "analyse un incident sur le référentiel d'adresses."))),
    Scenario("BRAV", "e-sav", INC, MAJ, "bob", 5.1, "Liens instables depuis une intervention au PM",
             "Depuis l'intervention au PM de jeudi, trois de nos clients subissent des "
             "coupures de quelques secondes plusieurs fois par heure.", line="BR-5521-M8Q3",
             steps=(Step("assign", 1, "supervisor", "agent"),
                    Step("take", 0.5, "agent"),
                    Step("comment", 20, "bob", "Deux autres lignes du même PM sont touchées : "
                         "BR-5521-M8Q7 et BR-5521-M8R1."))),
    Scenario("ALFA", "e-sav", INC, MAJ, "manager", 9.2,
             "Coupures intermittentes, client en zone d'activité",
             "Le client constate des coupures de 2 à 3 minutes en fin de journée, "
             "principalement entre 17 h et 19 h.", line="FI-8804-C6E1",
             site="Parc d'activités Beaupuy 2, 85000 Mouilleron-le-Captif",
             steps=(Step("take", 2, "agent"),
                    Step("resolve", 30, "agent", "Aucune coupure constatée sur la période de "
                         "surveillance ; la ligne est stable.", cause="Non déterminée.",
                         actions="Surveillance de la ligne pendant 24 h, mesure optique au PM."),
                    Step("contest", 20, "manager", "Le client a de nouveau subi deux coupures "
                         "hier soir à 17 h 52 et 18 h 31."))),
    Scenario("BRAV", "e-sav", INC, MIN, "bob", 11.5, "Atténuation optique anormale sur la PTO",
             "Nos mesures montrent une atténuation de -27,9 dBm à la PTO, hors tolérance.",
             line="BR-2290-F4T7", files=(LOG,),
             steps=(Step("take", 4, "agent"),
                    Step("resolve", 26, "agent", "Connecteur nettoyé, atténuation revenue à "
                         "-19,2 dBm.", cause="Connecteur encrassé au PTO.",
                         actions="Intervention sur site, nettoyage et mesure."),
                    Step("reopen", 5, "agent", "La mesure de contrôle à distance est de "
                         "nouveau hors tolérance ; une seconde intervention est nécessaire."))),
    # --- pending ------------------------------------------------------------------------
    Scenario("ALFA", "ftte-eligibility", REQ, MIN, "alice", 3.1,
             "Adresse introuvable dans le référentiel d'éligibilité",
             "La rue du Moulin Neuf à Aizenay n'apparaît pas dans le référentiel d'adresses.",
             steps=(Step("take", 2, "agent"),
                    Step("ask", 1, "agent", "Pouvez-vous nous indiquer le code Hexaclé ou, à "
                         "défaut, les coordonnées GPS du bâtiment ?"))),
    Scenario("ALFA", "fci", INC, MAJ, "manager", 2.4,
             "Rejet de commande FCI avec le code erreur E214",
             "Toutes nos commandes sur l'immeuble IMB-85191-0042 sont rejetées en E214 "
             "(référence de PTO inconnue).", ref="CMD-ALFA-559014",
             steps=(Step("take", 1, "agent"),
                    Step("ask", 3, "agent", "Merci de nous joindre un exemple de flux de "
                         "commande rejeté et le compte-rendu de rejet reçu."))),
    Scenario("BRAV", "e-sav", INC, MAJ, "bob", 8.0, "Dérangement après déménagement du client",
             "Le client a déménagé au sein du même immeuble ; la nouvelle PTO ne donne aucun "
             "signal.", line="BR-6142-P3C8",
             steps=(Step("take", 2, "agent"),
                    Step("ask", 1, "agent", "Le client a-t-il bien branché le câble sur la "
                         "nouvelle PTO ? Merci de préciser le numéro de logement."),
                    Step("answer", 18, "bob", "Oui, branchement vérifié. Logement 24, "
                         "bâtiment B, 2e étage."),
                    Step("ask", 6, "agent", "Merci de confirmer une disponibilité du client "
                         "pour un rendez-vous technicien cette semaine."))),
    Scenario("ALFA", "e-sav", REQ, MIN, "alice", 4.6,
             "Demande de rendez-vous technicien pour un site sensible",
             "Le site est un établissement de santé : l'intervention doit être planifiée avec "
             "le service technique au moins 48 h à l'avance.", line="FI-5093-H7K2",
             steps=(Step("take", 3, "agent"),
                    Step("ask", 1, "agent", "Pouvez-vous nous communiquer les coordonnées du "
                         "service technique du site et deux créneaux possibles ?"))),
    # --- held ---------------------------------------------------------------------------
    Scenario("ALFA", "e-sav", INC, MAJ, "alice", 12.3, "Fibre sectionnée lors de travaux de voirie",
             "Coupure franche constatée sur toute la rue après des travaux de la commune.",
             line="FI-6617-D2A8", site="Avenue de Lattre de Tassigny, 85000 La Roche-sur-Yon",
             steps=(Step("take", 1, "agent"),
                    Step("reply", 3, "agent", "Sectionnement confirmé sur le génie civil ; "
                         "une équipe de raccordement est mobilisée."),
                    Step("hold", 6, "agent", "En attente de l'arrêté municipal autorisant "
                         "l'intervention sur la chaussée."))),
    Scenario("ALFA", "fci", REQ, MIN, "manager", 7.2,
             "Modification du créneau de raccordement sur une commande FCI",
             "Le client demande à décaler le raccordement prévu le 12 au matin.",
             ref="CMD-ALFA-557380",
             steps=(Step("take", 2, "agent"),
                    Step("hold", 4, "agent", "En attente de la disponibilité du sous-traitant "
                         "pour un nouveau créneau."))),
    Scenario("BRAV", "e-sav", INC, MAJ, "bob", 10.4, "Boîtier de raccordement inaccessible",
             "Le technicien n'a pas pu accéder au boîtier d'étage, local technique fermé.",
             line="BR-4406-H1N5",
             steps=(Step("take", 1, "agent"),
                    Step("ask", 2, "agent", "Avez-vous un contact sur place pour l'accès au "
                         "local technique ?"),
                    Step("answer", 20, "bob", "Le gardien est joignable au 02 51 00 00 00 "
                         "en semaine."),
                    Step("hold", 3, "agent", "Accès au local technique à organiser avec le "
                         "syndic de copropriété."))),
    # --- resolved (within the contest period) -------------------------------------------
    Scenario("ALFA", "ftte-eligibility", INC, MAJ, "alice", 4.1,
             "Résultats d'éligibilité incohérents entre l'API et le portail",
             "Pour une même adresse, l'API renvoie ELIGIBLE et le portail NON_ELIGIBLE.",
             steps=(Step("take", 1, "agent"),
                    Step("note", 2, "agent", "Cache du portail non invalidé après la mise à "
                         "jour du référentiel de mardi."),
                    Step("resolve", 5, "agent", "Les deux canaux renvoient désormais le même "
                         "résultat.", cause="Cache du portail non invalidé après une mise à "
                         "jour du référentiel.",
                         actions="Purge du cache, ajout de l'invalidation au processus de "
                         "mise à jour."))),
    Scenario("BRAV", "e-sav", INC, CRIT, "bob", 2.3,
             "Perte totale de service sur un lien entreprise",
             "Lien entreprise hors service, client sans téléphonie ni internet.",
             line="BR-9134-R7W2", site="12 rue Gutenberg, 85300 Challans",
             steps=(Step("take", 0.2, "agent"),
                    Step("reply", 0.5, "agent", "Technicien en route, arrivée estimée 11 h."),
                    Step("resolve", 3, "agent", "Service rétabli après réparation "
                         "de la jarretière.", cause="Jarretière arrachée au PM lors d'une "
                         "intervention tierce.",
                         actions="Remplacement de la jarretière et contrôle optique."))),
    Scenario("ALFA", "fci", INC, MIN, "manager", 5.0,
             "Notification de mise en service FCI manquante",
             "La commande CMD-ALFA-556911 est livrée d'après le technicien mais aucune "
             "notification de mise en service n'a été reçue.", ref="CMD-ALFA-556911",
             steps=(Step("take", 2, "agent"),
                    Step("resolve", 6, "agent", "La notification a été réémise.",
                         cause="Notification bloquée dans la file de sortie.",
                         actions="Réémission de la notification et purge de la file."))),
    # --- closed -------------------------------------------------------------------------
    Scenario("ALFA", "e-sav", INC, MAJ, "alice", 21.0,
             "Perte de synchronisation après une coupure électrique",
             "Après une coupure électrique sur la zone, le lien ne resynchronise plus.",
             line="FI-1187-E5G6",
             steps=(Step("take", 1, "agent"),
                    Step("resolve", 8, "agent", "Le lien est resynchronisé.",
                         cause="Carte OLT bloquée après la coupure électrique.",
                         actions="Redémarrage de la carte, contrôle des ports."),
                    Step("accept", 4, "alice"))),
    Scenario("ALFA", "fci", REQ, MIN, "manager", 18.0,
             "Doublon de commande FCI à annuler côté fournisseur",
             "La commande CMD-ALFA-553017 a été transmise deux fois ; merci d'annuler la "
             "seconde.", ref="CMD-ALFA-553017",
             steps=(Step("take", 3, "agent"),
                    Step("resolve", 5, "agent", "La commande en double a été annulée.",
                         cause="Double émission par la passerelle de l'opérateur.",
                         actions="Annulation de la commande CMD-ALFA-553018."),
                    Step("close", 200, "agent"))),
    Scenario("BRAV", "e-sav", INC, MAJ, "bob", 25.0,
             "Lien coupé à la suite d'un dégât des eaux dans le local opérateur",
             "Un dégât des eaux dans le local technique a coupé plusieurs liens.",
             line="BR-1075-W9D2",
             steps=(Step("take", 1, "agent"),
                    Step("ask", 1, "agent", "Le local est-il de nouveau accessible et sec ?"),
                    Step("answer", 6, "bob", "Oui, le local a été asséché ce matin."),
                    Step("resolve", 10, "agent", "Tiroir optique remplacé.",
                         cause="Tiroir optique endommagé par l'eau.",
                         actions="Remplacement du tiroir et des jarretières."),
                    Step("contest", 15, "bob", "Un des quatre liens reste hors service."),
                    Step("note", 1, "agent", "Jarretière inversée sur la position 3."),
                    Step("resolve", 6, "agent", "Les quatre liens sont rétablis.",
                         cause="Tiroir optique endommagé, puis jarretière inversée.",
                         actions="Correction du brassage en position 3 et mesures."),
                    Step("accept", 3, "bob"))),
    Scenario("ALFA", "ftte-eligibility", REQ, MIN, "manager", 15.0,
             "Signification du statut d'éligibilité « sous conditions »",
             "Que recouvre exactement le statut ELIGIBLE_SOUS_CONDITIONS et quels délais "
             "faut-il annoncer au client ?",
             steps=(Step("take", 4, "agent"),
                    Step("resolve", 6, "agent", "Le statut signifie qu'un raccordement "
                         "complexe est nécessaire ; délai indicatif de 8 semaines.",
                         cause="Question sur la documentation du service.",
                         actions="Réponse et mise à jour de la FAQ du service."),
                    Step("accept", 20, "manager"))),
    # --- rejected -----------------------------------------------------------------------
    Scenario("ALFA", "e-sav", INC, MIN, "alice", 13.0, "Dérangement sur une ligne cuivre",
             "Le client n'a plus de tonalité sur sa ligne analogique.",
             steps=(Step("reject", 2, "agent", "Cette ligne cuivre ne relève pas du "
                         "périmètre e-SAV fibre ; merci d'utiliser le canal de signalisation "
                         "cuivre."),)),
    Scenario("BRAV", "e-sav", REQ, MIN, "bob", 9.0, "Demande de devis pour une extension de réseau",
             "Nous souhaitons un devis pour desservir une nouvelle zone d'activité.",
             steps=(Step("reject", 3, "supervisor", "Les demandes commerciales sont traitées "
                         "par votre interlocuteur commercial et non par e-soutien."),)),
    # --- cancelled ----------------------------------------------------------------------
    Scenario("ALFA", "fci", INC, MAJ, "alice", 6.0, "Commande FCI en échec — ticket en double",
             "Les commandes du lot 45 sont en échec.",
             steps=(Step("cancel", 1, "alice", "Ticket ouvert en double, suivi sur l'autre "
                         "ticket."),)),
    Scenario("ALFA", "e-sav", INC, MIN, "manager", 16.0,
             "Perte de synchronisation revenue d'elle-même",
             "Perte de synchronisation ce matin sur le lien du client.", line="FI-4420-J8L3",
             steps=(Step("take", 2, "agent"),
                    Step("comment", 3, "manager", "Le lien est revenu seul à 11 h 05, "
                         "le client confirme que tout fonctionne."),
                    Step("cancel", 0.5, "manager", "Plus de dérangement constaté."))),
    Scenario("BRAV", "e-sav", INC, MAJ, "bob", 28.0, "Alarme LOS sur la PTO",
             "Alarme LOS permanente sur la ligne.", line="BR-8856-V2X4",
             steps=(Step("take", 2, "agent"),
                    Step("ask", 1, "agent", "Merci de confirmer que l'alarme est toujours "
                         "présente après redémarrage de l'ONT."),
                    Step("cancel", 240, "agent", "Sans réponse de l'opérateur depuis dix "
                         "jours, le ticket est annulé."))),
]
# fmt: on
