"""The register of processing as data: the processing of Bijlage 1 and the portal's own, and the
security measures of Bijlage 2 and the portal's own, in Dutch and English (GDPR art. 30(2),
32(1); agreement art. 3.5, 4). Kept up to date in the admin from here on."""

from django.db import migrations

ALL = ["name", "birth_date", "care_organisation", "patient_number", "bsn", "postcode", "email",
       "mobile", "device_id", "conversations", "video_ip"]

ACTIVITIES = [
    {
        "key": "platform", "position": 10, "source": "agreement",
        "name_nl": "Het BeterDichtbij-platform: communicatie tussen gebruiker en zorgverlener",
        "name": "The BeterDichtbij platform: communication between users and care providers",
        "nature_nl": "Hosting, beheer en ontwikkeling van het BeterDichtbij-platform. Gebruikers "
        "(consumenten, patiënten) gebruiken het platform voor communicatie met hun eigen "
        "zorgverleners.",
        "nature": "Hosting, management and development of the BeterDichtbij platform. Users "
        "(consumers, patients) use the platform to communicate with their own care providers.",
        "purposes_nl": "Tot stand brengen van communicatie via de BeterDichtbij-app tussen "
        "gebruiker en zorgverlener.",
        "purposes": "Establishing communication through the BeterDichtbij app between user and "
        "care provider.",
        "data_subjects_nl": "consumenten, patiënten, zorgverleners",
        "data_subjects": "consumers, patients, care providers",
        "categories": ALL,
        "retention_rule": "as_written",
        "retention_nl": "15 jaar (Bijlage 1 van de verwerkersovereenkomst)",
        "retention": "15 years (Bijlage 1 of the processing agreement)",
    },
    {
        "key": "requests", "position": 20, "source": "portal",
        "name_nl": "Afhandeling van verzoeken en klachten van betrokkenen",
        "name": "Handling data subjects' requests and complaints",
        "nature_nl": "Ontvangen van verzoeken (inzage, rectificatie, wissing, beperking, "
        "overdraagbaarheid, bezwaar, vernietiging van het dossier) en klachten van patiënten via "
        "het privacyportaal en de app, doorsturen naar de praktijk, en de praktijk helpen bij de "
        "afhandeling op haar instructie.",
        "nature": "Receiving patients' requests (access, rectification, erasure, restriction, "
        "portability, objection, destruction of the medical file) and complaints through the "
        "privacy portal and the app, forwarding them to the practice, and assisting the practice "
        "in handling them on its instructions.",
        "purposes_nl": "De praktijk in staat stellen de rechten van betrokkenen tijdig te "
        "honoreren (art. 12 tot en met 22 AVG; art. 6 van de verwerkersovereenkomst).",
        "purposes": "Enabling the practice to honour data subjects' rights in time (GDPR art. 12 "
        "to 22; art. 6 of the processing agreement).",
        "data_subjects_nl": "patiënten en hun vertegenwoordigers; medewerkers van de praktijk",
        "data_subjects": "patients and their representatives; the practice's staff",
        "categories": ["name", "birth_date", "bsn", "email", "mobile"],
        "other_data_nl": "de inhoud van het verzoek, de correspondentie en de beslissing",
        "other_data": "the request's content, the correspondence and the decision",
        "retention_rule": "practice_requests",
    },
    {
        "key": "access_log", "position": 30, "source": "portal",
        "name_nl": "Logging van toegang tot persoonsgegevens (NEN 7513)",
        "name": "Logging access to personal data (NEN 7513)",
        "nature_nl": "Vastleggen wie welke gegevens van welke patiënt wanneer, vanaf welk adres en "
        "met welke uitkomst heeft ingezien, gezocht, geëxporteerd of gewijzigd, in een logboek "
        "waaraan alleen kan worden toegevoegd.",
        "nature": "Recording who viewed, searched, exported or changed which patient's data, "
        "when, from which address and with what outcome, in a log that can only be appended to.",
        "purposes_nl": "Toezicht op rechtmatige toegang (art. 4.4 van de verwerkersovereenkomst, "
        "NEN 7513) en het recht van de patiënt op een overzicht van wie zijn gegevens inzag.",
        "purposes": "Supervising lawful access (agreement art. 4.4, NEN 7513) and the patient's "
        "right to an overview of who accessed their data.",
        "data_subjects_nl": "patiënten; medewerkers van de praktijk en van de verwerker",
        "data_subjects": "patients; staff of the practice and of the processor",
        "categories": ["email"],
        "other_data_nl": "account, rol en IP-adres van de medewerker; referentie van het verzoek",
        "other_data": "the staff member's account, role and IP address; the request's reference",
        "retention_rule": "audit_log",
    },
    {
        "key": "data_packages", "position": 40, "source": "portal",
        "name_nl": "Gegevenspakketten voor inzage en overdraagbaarheid",
        "name": "Data packages for access and portability",
        "nature_nl": "Op instructie van de praktijk verzamelen wat het platform en de "
        "subverwerkers over de patiënt bewaren, dat versleuteld opslaan en het na vrijgave door "
        "de praktijk aan de patiënt ter beschikking stellen.",
        "nature": "On the practice's instructions, collecting what the platform and the "
        "sub-processors hold about the patient, storing it encrypted, and making it available "
        "to the patient once the practice has released it.",
        "purposes_nl": "Inzage en overdraagbaarheid (art. 15 en 20 AVG) op instructie van de "
        "praktijk (art. 3.1 en 6 van de verwerkersovereenkomst).",
        "purposes": "Access and portability (GDPR art. 15 and 20) on the practice's instructions "
        "(agreement art. 3.1 and 6).",
        "data_subjects_nl": "patiënten",
        "data_subjects": "patients",
        "categories": ALL,
        "retention_rule": "packages",
    },
]

# Bijlage 2 (technical, organisational), as the agreement states them, and the portal's own.
TECHNICAL = [
    ("Scheiding Acceptatie en Productie",
     "De servers van de acceptatie- en de productieomgeving zijn van elkaar gescheiden. Dat "
     "verkleint het risico op datalekken en fouten bij wijzigingen.",
     "Separate acceptance and production",
     "The servers of the acceptance and production environments are separated, which reduces "
     "the risk of data breaches and of errors during changes."),
    ("Two-tier-oplossing",
     "De BeterDichtbij-API en de gegevensopslag zijn van elkaar gescheiden.",
     "Two-tier set-up",
     "The BeterDichtbij API and the data storage are separated from each other."),
    ("Load balancing",
     "Binnenkomend verkeer op productie wordt over meerdere (web)servers verdeeld, wat de "
     "omgeving beter beschermt tegen slechte prestaties of uitval.",
     "Load balancing",
     "Incoming production traffic is spread over several (web) servers, protecting the "
     "environment better against poor performance or outage."),
    ("Security zones",
     "De onderdelen van de omgeving staan in gescheiden netwerkzones die alleen het "
     "noodzakelijke verkeer toelaten.",
     "Security zones",
     "The parts of the environment are in separate network zones that allow only the traffic "
     "needed."),
    ("Beperkt verkeer",
     "Verkeer naar de acceptatie- en productieomgeving is beperkt tot de noodzakelijke "
     "netwerkpoorten.",
     "Restricted traffic",
     "Traffic to the acceptance and production environments is limited to the network ports "
     "needed."),
    ("Beperkte toegang",
     "Toegang tot de acceptatieomgeving is beperkt tot netwerken die die toegang nodig hebben "
     "(IP-whitelisting).",
     "Restricted access",
     "Access to the acceptance environment is limited to the networks that need it (IP "
     "allow-listing)."),
    ("Encryptie",
     "De verbinding tussen de app en de BeterDichtbij-API is versleuteld (HTTPS en op "
     "applicatieniveau).",
     "Encryption",
     "The connection between the app and the BeterDichtbij API is encrypted (HTTPS and at "
     "application level)."),
    ("Remote beheer",
     "Beheerhandelingen verlopen via een beveiligde verbinding (HTTPS en/of VPN).",
     "Remote administration",
     "Administration is done over a secured connection (HTTPS and/or VPN)."),
    ("Beveiligde verbindingen",
     "De BeterDichtbij-API is via een VPN met het achterliggende webplatform verbonden.",
     "Secured connections",
     "The BeterDichtbij API connects to the web platform behind it through a VPN."),
    ("Accounts",
     "Beheertoegang verloopt via persoonlijke BeterDichtbij-accounts, uitgereikt en ingetrokken "
     "volgens de rollen van het informatiebeveiligingsbeleid en het HR-proces.",
     "Accounts",
     "Administrative access is through personal BeterDichtbij accounts, issued and revoked "
     "according to the roles of the information security policy and the HR process."),
    ("Web infrastructure scan",
     "De app en de API worden periodiek gescand op kwetsbaarheden in de netwerkconfiguratie.",
     "Web infrastructure scan",
     "The app and the API are scanned periodically for weaknesses in the network "
     "configuration."),
    ("Web application scan",
     "De app, de API en het webplatform worden periodiek gescand op de OWASP top-10 "
     "kwetsbaarheden.",
     "Web application scan",
     "The app, the API and the web platform are scanned periodically for the OWASP top-10 "
     "vulnerabilities."),
    ("DDoS-bescherming",
     "Voorzieningen op infrastructuurniveau weerstaan (distributed) denial-of-service-aanvallen.",
     "DDoS protection",
     "Infrastructure-level provisions withstand (distributed) denial-of-service attacks."),
    ("Pincode",
     "De app op de smartphone is beveiligd met een pincode die de gebruiker zelf instelt.",
     "PIN code",
     "The app on the smartphone is protected by a PIN code the user sets."),
    ("Opslag gegevens",
     "Gesprekken worden in de backend opgeslagen en inloggegevens versleuteld; de app zelf "
     "bewaart geen gevoelige gegevens permanent.",
     "Data storage",
     "Conversations are stored in the back end and sign-in details encrypted; the app itself "
     "keeps no sensitive data permanently."),
]
ORGANISATIONAL = [
    ("Personeel",
     "Engineers en beheerders die met klantgegevens in aanraking komen zijn gescreend en hebben "
     "een geheimhoudingsverklaring getekend.",
     "Staff",
     "Engineers and administrators who handle customer data are screened and have signed a "
     "confidentiality agreement."),
    ("Hosting",
     "De omgeving wordt gehost door partijen met een ISO 27001-certificering.",
     "Hosting",
     "The environment is hosted by ISO 27001 certified parties."),
    ("Securitybeleid",
     "BeterDichtbij en haar leveranciers hanteren een securitybeleid voor vertrouwelijkheid, "
     "integriteit en beschikbaarheid.",
     "Security policy",
     "BeterDichtbij and its suppliers maintain a security policy for confidentiality, integrity "
     "and availability."),
    ("Configuration management",
     "De elementen van de omgeving zijn vastgelegd.",
     "Configuration management",
     "The elements of the environment are recorded."),
    ("Incident management",
     "Incidenten worden met prioriteit opgelost.",
     "Incident management",
     "Incidents are resolved with priority."),
    ("Problem management",
     "Achterliggende oorzaken van incidenten worden opgepakt.",
     "Problem management",
     "The underlying causes of incidents are addressed."),
    ("Capaciteitsbeheer",
     "De capaciteit van de systemen wordt regelmatig geanalyseerd.",
     "Capacity management",
     "The systems' capacity is analysed regularly."),
    ("Beschikbaarheidsbeheer",
     "De beschikbaarheid van de omgeving wordt automatisch bewaakt.",
     "Availability management",
     "The environment's availability is monitored automatically."),
    ("Continuïteitsbeheer",
     "Back-ups en hersteltests worden regelmatig uitgevoerd.",
     "Continuity management",
     "Back-ups and restore tests are carried out regularly."),
    ("Change management",
     "Wijzigingen worden bijgehouden en gestructureerd doorgevoerd.",
     "Change management",
     "Changes are tracked and made in a structured way."),
    ("Release management",
     "Nieuwe releases gaan na tests via acceptatie naar productie.",
     "Release management",
     "New releases go through acceptance to production after testing."),
    ("Service level management",
     "Leveranciers rapporteren over de beheerde omgevingen en er is regelmatig overleg.",
     "Service level management",
     "Suppliers report on the managed environments and meet regularly."),
    ("Security management",
     "Autorisaties en configuratie worden periodiek gecontroleerd, beveiligingsupdates "
     "geïnstalleerd en de omgeving op kwetsbaarheden gescand.",
     "Security management",
     "Authorisations and configuration are checked periodically, security patches installed "
     "and the environment scanned for vulnerabilities."),
]
PORTAL = [
    ("technical", "Versleutelde gegevenspakketten",
     "Gegevenspakketten en documenten van de praktijk worden versleuteld opgeslagen buiten elk "
     "publiek pad en na de bewaartermijn verwijderd; de patiënt downloadt ze pas na een tweede "
     "code per sms.",
     "Encrypted data packages",
     "Data packages and the practice's documents are stored encrypted outside any public path "
     "and removed after their retention period; the patient downloads them only after a second "
     "code by SMS."),
    ("technical", "Sleutelgebonden auditketen",
     "Elk auditrecord is met een geheime sleutel (HMAC) aan het vorige gekoppeld; dagelijkse "
     "controlepunten buiten de database maken wijzigen of verwijderen zichtbaar (NEN 7513).",
     "Keyed audit chain",
     "Each audit record is linked to the previous one with a secret key (HMAC); daily "
     "checkpoints outside the database reveal any change or removal (NEN 7513)."),
    ("technical", "Tweede factor voor medewerkers",
     "Medewerkers van de praktijk en de verwerker loggen in met een persoonlijk account, een "
     "wachtwoord en een code uit een authenticator-app.",
     "Second factor for staff",
     "Staff of the practice and of the processor sign in with a personal account, a password "
     "and a code from an authenticator app."),
    ("technical", "Logische scheiding per praktijk",
     "Elke opvraging is beperkt tot de eigen praktijk; een poging gegevens van een andere "
     "praktijk te zien wordt geweigerd en gelogd (art. 4.1 onder f).",
     "Logical separation per practice",
     "Every query is limited to the account's own practice; an attempt to see another "
     "practice's data is refused and logged (agreement art. 4.1 f)."),
    ("organisational", "Minimale rechten per rol",
     "Elke rol (behandelaar, FG, praktijkbeheerder, support) heeft alleen de rechten die het "
     "werk vraagt; de verwerker handelt alleen op vastgelegde instructie van de praktijk.",
     "Least privilege per role",
     "Each role (handler, FG, practice administrator, support) has only the rights its work "
     "needs; the processor acts only on the practice's recorded instructions."),
]


def seed(apps, schema_editor):
    activity = apps.get_model("requests_app", "ProcessingActivity")
    measure = apps.get_model("requests_app", "SecurityMeasure")
    for row in ACTIVITIES:
        activity.objects.update_or_create(key=row["key"], defaults=row)
    rows = [("technical", "bijlage2", *t) for t in TECHNICAL]
    rows += [("organisational", "bijlage2", *t) for t in ORGANISATIONAL]
    rows += [(kind, "portal", *t) for kind, *t in PORTAL]
    for position, (kind, source, title_nl, description_nl, title, description) in enumerate(
        rows, start=1
    ):
        measure.objects.update_or_create(
            source=source,
            title=title,
            defaults={
                "kind": kind,
                "position": position,
                "title_nl": title_nl,
                "description_nl": description_nl,
                "description": description,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("requests_app", "ProcessingActivity").objects.filter(
        key__in=[row["key"] for row in ACTIVITIES]
    ).delete()
    apps.get_model("requests_app", "SecurityMeasure").objects.filter(
        source__in=["bijlage2", "portal"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0032_processing_register_and_subprocessor_changes")]
    operations = [migrations.RunPython(seed, unseed)]
