"""French texts and real-life proportions of the benchmark data set (synthetic)."""

from __future__ import annotations

# fmt: off
ESERVICES = [
    ("e-sav", "e-SAV"), ("ftte-eligibility", "Éligibilité FTTE"), ("fci", "FCI"),
    ("commandes-ftth", "Commandes FTTH"), ("raccordement", "Raccordement"),
    ("interventions", "Interventions terrain"), ("api-adresses", "API Adresses"),
    ("facturation", "Facturation opérateurs"),
]
OPERATOR_NAMES = [
    "Alfa Télécom", "Bravo Fibre", "Vendée Connect", "Océan Réseaux", "Bocage Telecom",
    "Marais Numérique", "Atlantique Pro", "Yon Fibre", "Littoral Data", "Puy Réseaux",
    "Challans Com", "Sèvre Networks", "Lay Fibre", "Vie Télécom", "Olonne Connect",
    "Fontenay Data", "Herbiers Net", "Luçon Télécom", "Montaigu Fibre", "Noirmoutier IP",
]
TOWNS = [
    "La Roche-sur-Yon", "Challans", "Les Herbiers", "Montaigu", "Fontenay-le-Comte",
    "Les Sables-d'Olonne", "Luçon", "Aizenay", "Pouzauges", "Saint-Jean-de-Monts",
    "Chantonnay", "Mortagne-sur-Sèvre", "Talmont-Saint-Hilaire", "Noirmoutier-en-l'Île",
]
STREETS = ["rue de la Marne", "avenue Gambetta", "impasse des Glycines", "rue du Moulin Neuf",
           "boulevard Aristide Briand", "ZA des Ajoncs", "rue Gutenberg", "place Napoléon"]
PROBLEMS = [
    "Perte de synchronisation", "Coupure totale", "Débit dégradé", "Coupures intermittentes",
    "Atténuation optique anormale", "Alarme LOS", "Commande bloquée au statut EN_COURS",
    "Rejet de commande avec le code E214", "Éligibilité erronée", "Adresse introuvable",
    "Erreur 500 sur l'interrogation par adresse", "Notification de mise en service manquante",
    "Accusé de commande non reçu", "Demande de mesure réflectométrique",
    "Rendez-vous technicien à replanifier", "Fibre sectionnée lors de travaux",
    "Boîtier d'étage inaccessible", "Jarretière arrachée au PM", "Facture en double",
]
CONTEXTS = [
    "sur le lien FTTE", "sur un client entreprise", "après une intervention au PM",
    "sur l'accès 1 Gbit/s", "depuis ce matin", "sur plusieurs lignes du même PM",
    "après une coupure électrique", "pour un site sensible", "sur le lot de commandes",
    "en zone d'activité", "depuis le déménagement du client", "sur le flux de retour",
]
SENTENCES = [
    "Le CPE du client ne synchronise plus, voyant PON rouge.",
    "Redémarrage du boîtier effectué sans effet.",
    "Le client mesure {n} Mbit/s en descendant, tests faits en filaire.",
    "Nos mesures montrent une atténuation de -{a},{b} dBm à la PTO, hors tolérance.",
    "La commande CMD-{code}-{n6} est au statut EN_COURS depuis {d} jours ouvrés.",
    "Alarme LOS remontée sur notre OLT à {h} h {m:02d}.",
    "Le client est un cabinet médical, merci de traiter en priorité.",
    "Client entreprise avec GTR 4 h, pénalités contractuelles en jeu.",
    "Trois autres lignes du même PM sont touchées.",
    "Le technicien n'a pas pu accéder au local technique.",
    "L'interrogation par référence d'immeuble IMB-85{d2:03d}-{n4} fonctionne.",
    "Le gardien est joignable au 02 51 {d2:02d} {m:02d} {d:02d} en semaine.",
    "Le problème est apparu après la mise à jour du référentiel de mardi.",
    "Merci de nous indiquer un délai de rétablissement.",
]
REPLIES = [
    "Une intervention est planifiée demain matin entre 8 h et 12 h.",
    "Anomalie reproduite, l'équipe applicative analyse l'incident.",
    "Pouvez-vous nous transmettre les identifiants d'échange des commandes concernées ?",
    "Technicien en route, arrivée estimée à {h} h.",
    "Connecteur nettoyé, atténuation revenue à -19,{b} dBm.",
    "Merci de confirmer une disponibilité du client pour un rendez-vous cette semaine.",
    "La notification a été réémise, merci de confirmer sa bonne réception.",
]
COMMENTS = [
    "Le client confirme que le problème persiste ce matin.",
    "Voici les identifiants : FX-{n4} à FX-{n6}, émis depuis notre passerelle.",
    "Oui, branchement vérifié. Logement {d}, bâtiment B.",
    "Pouvez-vous nous indiquer un délai de prise en charge ?",
    "Le lien est revenu à {h} h {m:02d}, nous surveillons.",
]
NOTES = [
    "Vérifier côté médiation si le flux de retour a été émis.",
    "Atténuation correcte au PM, suspicion de connecteur encrassé au PTO.",
    "Cache du portail non invalidé après la mise à jour du référentiel.",
    "Escalade vers l'équipe intégration, ticket interne ouvert.",
]
# Final status by age of the ticket (days): old tickets are closed, recent ones open.
STATUS_MIX: list[tuple[int, dict[str, float]]] = [
    (1, {"acknowledged": 55, "in_progress": 35, "pending": 5, "cancelled": 3, "rejected": 2}),
    (7, {"acknowledged": 10, "in_progress": 40, "pending": 15, "held": 5, "resolved": 20,
         "cancelled": 5, "rejected": 5}),
    (30, {"acknowledged": 2, "in_progress": 10, "pending": 5, "held": 3, "resolved": 10,
          "closed": 62, "cancelled": 5, "rejected": 3}),
    (10**6, {"in_progress": 0.5, "pending": 0.3, "held": 0.2, "closed": 92, "cancelled": 4,
             "rejected": 3}),
]
# The transitions leading to each final status (after "created").
PATHS = {
    "acknowledged": [], "in_progress": [("take", "acknowledged", "in_progress")],
    "pending": [("take", "acknowledged", "in_progress"),
                ("request_info", "in_progress", "pending")],
    "held": [("take", "acknowledged", "in_progress"), ("hold", "in_progress", "held")],
    "resolved": [("take", "acknowledged", "in_progress"), ("resolve", "in_progress", "resolved")],
    "closed": [("take", "acknowledged", "in_progress"), ("resolve", "in_progress", "resolved"),
               ("close", "resolved", "closed")],
    "rejected": [("reject", "acknowledged", "rejected")],
    "cancelled": [("cancel", "acknowledged", "cancelled")],
}
# Hours to take charge and to resolve, by severity; the SLA targets below.
PACE = {"critical": (0.5, 4), "major": (2, 12), "minor": (6, 40)}
TARGETS = {"critical": (1, 4), "major": (4, 24), "minor": (8, 72)}
# fmt: on
