"""Static facts about the simulated company: a plumbing and HVAC contractor around New York City.

Names, places, tax zones, accounts and the pricebook's templates. Nothing here is random; the seed
draws from these lists with its own generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

COMPANY_NAME = "Riverbend Plumbing & HVAC"

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Priya", "Ashley",
    "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle", "Kenneth", "Carol",
    "Wei", "Amanda", "Kevin", "Dorothy", "Brian", "Melissa", "George", "Deborah", "Aisha", "Rosa",
    "Luis", "Fatima", "Dmitri", "Yuki", "Sean", "Siobhan", "Giovanni", "Maria", "Chen", "Olga",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "O'Brien", "Kowalski", "Rossi", "Cohen", "Patel", "Kim", "Murphy", "Sullivan", "Esposito", "Goldberg",
    "Nakamura", "Okafor", "Ivanova", "Schmidt", "Dubois", "Haddad", "Fitzgerald", "DeLuca", "Chang", "Novak",
)
STREET_NAMES = (
    "Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Main", "Church", "High",
    "Union", "Franklin", "Jefferson", "Madison", "Riverside", "Prospect", "Highland", "Sunset", "Linden",
    "Walnut", "Chestnut", "Spruce", "Willow", "Bay", "Ocean", "Harbor", "Bedford", "Atlantic", "Forest",
)
STREET_SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Ln", "Pl", "Dr", "Ct", "Terrace", "Pkwy")
COMMERCIAL_PATTERNS = (
    "{last} Property Management", "{last} & Sons Realty", "{street} Street Deli", "{last} Dental Group",
    "{city} Auto Body", "{street} Gardens Condominiums", "{last} Family Restaurant", "{street} Laundromat",
    "{last} Holdings LLC", "{city} Fitness Club", "{last} Bakery", "{street} Medical Arts Building",
)
EXEMPT_PATTERNS = (
    "St. {first}'s Church", "{city} Public Library", "{city} Volunteer Fire Company", "{street} Community Center",
    "{city} Housing Authority", "Temple Beth {last}",
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")


@dataclass(frozen=True)
class TaxZoneSpec:
    key: str
    name: str
    rates: tuple[tuple[str, tuple[str, ...], str], ...]
    """(taxName, taxBaseType, taxRate as a fraction)"""
    separated: bool = False
    active: bool = True


TAX_ZONES = (
    TaxZoneSpec("nyc", "New York City", (
        ("NY State", ("Subtotal",), "0.04"),
        ("NYC", ("Subtotal",), "0.045"),
        ("MCTD", ("Subtotal",), "0.00375"),
    )),
    TaxZoneSpec("nassau", "Nassau County", (("Nassau County", ("Subtotal",), "0.08625"),)),
    TaxZoneSpec("westchester", "Westchester County", (("Westchester County", ("Subtotal",), "0.08375"),)),
    TaxZoneSpec("fairfield", "Fairfield County CT", (
        ("CT Labor", ("Labor",), "0.045"),
        ("CT Materials", ("Material",), "0.0635"),
    ), separated=True),
    TaxZoneSpec("bergen", "Bergen County NJ", (("NJ State", ("Subtotal",), "0.06625"),)),
    TaxZoneSpec("yonkers_old", "Yonkers (retired 2024)", (("Yonkers", ("Subtotal",), "0.08875"),), active=False),
)


@dataclass(frozen=True)
class City:
    name: str
    state: str
    zip_prefix: str
    zone: str
    weight: int


CITIES = (
    City("Brooklyn", "NY", "112", "nyc", 14),
    City("Queens", "NY", "113", "nyc", 10),
    City("Bronx", "NY", "104", "nyc", 6),
    City("Staten Island", "NY", "103", "nyc", 5),
    City("New York", "NY", "100", "nyc", 6),
    City("Hempstead", "NY", "115", "nassau", 4),
    City("Garden City", "NY", "115", "nassau", 3),
    City("Freeport", "NY", "115", "nassau", 3),
    City("White Plains", "NY", "106", "westchester", 4),
    City("New Rochelle", "NY", "108", "westchester", 3),
    City("Scarsdale", "NY", "105", "westchester", 2),
    City("Stamford", "CT", "069", "fairfield", 4),
    City("Greenwich", "CT", "068", "fairfield", 3),
    City("Norwalk", "CT", "068", "fairfield", 2),
    City("Hackensack", "NJ", "076", "bergen", 3),
    City("Fort Lee", "NJ", "070", "bergen", 3),
    City("Teaneck", "NJ", "076", "bergen", 2),
)

BUSINESS_UNITS = (
    (5001, "Plumbing - Service"),
    (5002, "Plumbing - Install"),
    (5003, "HVAC - Service"),
    (5004, "HVAC - Install"),
    (5005, "Drain & Sewer"),
)

# (id, number, name, type, subtype, defaultAccountType or None, active)
GL_ACCOUNTS = (
    (7001, "1010", "Undeposited Funds", "Bank", "Undeposited Funds", "UndepositedFunds", True),
    (7002, "1020", "Operating Checking", "Bank", "Checking", "CheckingAccount", True),
    (7003, "1200", "Accounts Receivable", "Accounts Receivable", "Accounts Receivable", "AccountsReceivable", True),
    (7004, "1300", "Inventory Asset", "Other Current Asset", "Inventory", "Inventory", True),
    (7005, "2000", "Accounts Payable", "Accounts Payable", "Accounts Payable", "AccountsPayable", True),
    (7006, "2200", "Sales Tax Payable", "Other Current Liability", "Sales Tax Payable", "SalesTaxPayable", True),
    (7007, "4000", "Service Revenue", "Income", "Service/Fee Income", "Revenue", True),
    (7008, "4010", "Installation Revenue", "Income", "Service/Fee Income", None, True),
    (7009, "4100", "Material Sales", "Income", "Sales of Product Income", None, True),
    (7010, "4200", "Equipment Sales", "Income", "Sales of Product Income", None, True),
    (7011, "4900", "Discounts Given", "Income", "Discounts/Refunds Given", None, True),
    (7012, "5000", "Cost of Materials", "Cost of Goods Sold", "Supplies & Materials - COGS",
     "CostOfGoodsSoldMaterials", True),
    (7013, "5010", "Cost of Equipment", "Cost of Goods Sold", "Equipment Rental - COGS", None, True),
    (7014, "4050", "Maintenance Agreements (old)", "Income", "Service/Fee Income", None, False),
    (7015, "6100", "Subcontractors", "Expense", "Cost of Labor", None, True),
    (7016, "6200", "Shop Supplies", "Expense", "Supplies & Materials", None, True),
    (7017, "6300", "Equipment Rental", "Expense", "Equipment Rental", None, True),
    (7018, "6400", "Tools & Small Equipment", "Expense", "Supplies & Materials", None, True),
    (7019, "6500", "Freight & Delivery", "Expense", "Shipping, Freight & Delivery", None, True),
    (7020, "6600", "Repairs & Maintenance", "Expense", "Repair & Maintenance", None, True),
)
GL_BY_ROLE = {
    "undeposited": 7001, "ar": 7003, "inventory": 7004, "service": 7007, "install": 7008,
    "material": 7009, "equipment": 7010, "discount": 7011, "cogs_material": 7012, "cogs_equipment": 7013,
    "checking": 7002,
}

# AP bill expense lines: (description, GL account id, lowest, highest amount in dollars, vendors or () for any).
# The vendor set is supply houses, so the expenses are what supply houses bill besides stock.
AP_EXPENSES = (
    ("Sewer camera inspection (subcontract)", 7015, 250, 900, ("Empire Drain Equipment",)),
    ("Hydro-jetting crew (subcontract)", 7015, 350, 1200, ("Empire Drain Equipment",)),
    ("Boiler retubing (subcontract)", 7015, 600, 2400, ("Metro Boiler Parts",)),
    ("Refrigerant recovery service (subcontract)", 7015, 180, 650, ("United Refrigeration", "Johnstone Supply")),
    ("Shop supplies: rags, tape, fasteners", 7016, 40, 320, ()),
    ("Safety gear and PPE", 7016, 60, 400, ("Grainger Industrial Supply", "Home Depot Pro")),
    ("Mini-excavator rental, 3 days", 7017, 450, 1350, ("Home Depot Pro", "Grainger Industrial Supply")),
    ("Pipe threader rental", 7017, 90, 260, ("Ferguson Enterprises", "Home Depot Pro", "Hajoca Corporation")),
    ("Cordless tool kit", 7018, 180, 900, ("Grainger Industrial Supply", "Home Depot Pro", "SupplyHouse Direct")),
    ("Refrigerant recovery machine", 7018, 450, 1200, ("Johnstone Supply", "United Refrigeration", "Watsco Northeast")),
    ("Freight and delivery", 7019, 25, 180, ()),
    ("Warehouse shelving repair", 7020, 120, 600, ("Grainger Industrial Supply", "Home Depot Pro")),
)

# (id, name, active)
PAYMENT_TYPES = (
    (6001, "Cash", True),
    (6002, "Check", True),
    (6003, "Credit Card", True),
    (6004, "ACH", True),
    (6005, "Financing", True),
    (6006, "Money Order", False),
)

VENDORS = (
    ("Ferguson Enterprises", "Valley Stream", "NY"), ("Johnstone Supply", "Long Island City", "NY"),
    ("F.W. Webb Company", "Yonkers", "NY"), ("Hajoca Corporation", "Bronx", "NY"),
    ("Winsupply of Stamford", "Stamford", "CT"), ("Carrier Enterprise Northeast", "Secaucus", "NJ"),
    ("Lennox PartsPlus", "Hackensack", "NJ"), ("United Refrigeration", "Brooklyn", "NY"),
    ("Grainger Industrial Supply", "Queens", "NY"), ("Home Depot Pro", "Brooklyn", "NY"),
    ("Rheem Sales Company", "Edison", "NJ"), ("SupplyHouse Direct", "Melville", "NY"),
    ("Watsco Northeast", "Hicksville", "NY"), ("Gensco Pipe & Supply", "White Plains", "NY"),
    ("Metro Boiler Parts", "Bronx", "NY"), ("Tri-State Water Heater Supply", "Freeport", "NY"),
    ("Empire Drain Equipment", "Queens", "NY"), ("Coastal HVAC Distributors", "Norwalk", "CT"),
)
INACTIVE_VENDORS = 2
"""The last vendors in the list are no longer used (inactive)."""

JOB_TYPES = {
    5001: ("Service Call", "Leak Repair", "Fixture Replacement"),
    5002: ("Water Heater Replacement", "Repipe", "Bathroom Rough-In"),
    5003: ("AC Repair", "Furnace Repair", "Maintenance Visit"),
    5004: ("System Replacement", "Mini-Split Install", "Boiler Install"),
    5005: ("Drain Cleaning", "Sewer Camera Inspection", "Main Line Clearing"),
}


@dataclass(frozen=True)
class SkuSpec:
    kind: str  # "materials" | "services" | "equipment"
    code: str
    name: str
    price: Decimal
    cost: Decimal
    taxable: bool | None
    unit: str | None = None
    hours: Decimal = Decimal("0")
    business_units: tuple[int, ...] = ()


def _materials() -> list[SkuSpec]:
    specs: list[SkuSpec] = []
    pipe = (("CU", "Copper Pipe Type L", "3.20"), ("PEX", "PEX-A Tubing", "0.95"), ("PVC", "PVC Sch 40 Pipe", "1.10"),
            ("CPVC", "CPVC Pipe", "1.40"), ("BI", "Black Iron Pipe", "4.75"))
    sizes = (("050", '1/2"'), ("075", '3/4"'), ("100", '1"'), ("150", '1-1/2"'), ("200", '2"'))
    for code, name, base in pipe:
        for n, (size_code, size) in enumerate(sizes):
            price = Decimal(base) * (1 + Decimal(n) * Decimal("0.6"))
            specs.append(SkuSpec("materials", f"PLB-{code}-{size_code}", f'{size} {name} (per ft)',
                                 price.quantize(Decimal("0.01")), (price * Decimal("0.45")).quantize(Decimal("0.01")),
                                 True, "Foot", business_units=(5001, 5002)))
    fittings = (("ELB", "Elbow 90"), ("TEE", "Tee"), ("CPL", "Coupling"), ("BV", "Ball Valve"), ("CV", "Check Valve"),
                ("SV", "Shutoff Valve"), ("UN", "Union"))
    for code, name in fittings:
        for n, (size_code, size) in enumerate(sizes[:4]):
            unit_price = Decimal("6.50") if code in ("ELB", "TEE", "CPL", "UN") else Decimal("24.00")
            price = unit_price * (1 + Decimal(n) / 2)
            specs.append(SkuSpec("materials", f"PLB-{code}-{size_code}", f"{size} {name}",
                                 price.quantize(Decimal("0.01")), (price * Decimal("0.4")).quantize(Decimal("0.01")),
                                 True, "Each", business_units=(5001, 5002)))
    singles = (
        ("PLB-WAX-RING", "Toilet Wax Ring Kit", "18.50", None),
        ("PLB-FLAPPER", "Toilet Flapper", "14.00", True),
        ("PLB-FILL-VLV", "Toilet Fill Valve", "32.00", True),
        ("PLB-SUPPLY-12", '12" Braided Supply Line', "16.00", True),
        ("PLB-PTRAP-15", '1-1/2" P-Trap Kit', "22.00", True),
        ("PLB-CART-MOEN", "Moen 1225 Cartridge", "64.00", True),
        ("PLB-DISP-050", "1/2 HP Garbage Disposal", "289.00", True),
        ("PLB-SUMP-033", "1/3 HP Sump Pump", "349.00", True),
        ("PLB-EXP-TANK", "Thermal Expansion Tank 2 Gal", "118.00", True),
        ("PLB-PRV-075", '3/4" Pressure Reducing Valve', "189.00", True),
        ("PLB-ANODE", "Water Heater Anode Rod", "58.00", True),
        ("PLB-TPR-VLV", "T&P Relief Valve", "42.00", True),
        ("PLB-GAS-FLEX", "Gas Flex Connector 24\"", "38.00", True),
        ("PLB-SOLDER", "Lead-Free Solder & Flux", "19.00", None),
        ("HVAC-FILT-16", "16x25x1 Pleated Filter", "24.00", True),
        ("HVAC-FILT-20", "20x25x4 Media Filter", "69.00", True),
        ("HVAC-CAP-45", "45/5 MFD Dual Run Capacitor", "89.00", True),
        ("HVAC-CONT-30", "30A Contactor", "79.00", True),
        ("HVAC-IGN-HSI", "Hot Surface Igniter", "129.00", True),
        ("HVAC-FLAME", "Flame Sensor", "74.00", True),
        ("HVAC-R410-LB", "R-410A Refrigerant (per lb)", "95.00", True),
        ("HVAC-R22-LB", "R-22 Refrigerant (per lb)", "145.00", True),
        ("HVAC-TSTAT-PRO", "Programmable Thermostat", "189.00", True),
        ("HVAC-TSTAT-WIFI", "Wi-Fi Smart Thermostat", "289.00", True),
        ("HVAC-BLWR-MTR", "1/2 HP Blower Motor", "389.00", True),
        ("HVAC-COND-PUMP", "Condensate Pump", "139.00", True),
        ("HVAC-LINESET-25", "3/8 x 3/4 Line Set 25 ft", "215.00", True),
        ("HVAC-PAD", "Condenser Pad 36x36", "65.00", None),
        ("DRN-CLEANOUT-4", '4" Cleanout Plug', "28.00", True),
        ("DRN-ENZYME", "Drain Enzyme Treatment", "35.00", True),
    )
    for code, name, price_text, taxable in singles:
        p = Decimal(price_text)
        bus = (5003, 5004) if code.startswith("HVAC") else ((5005,) if code.startswith("DRN") else (5001, 5002))
        specs.append(SkuSpec("materials", code, name, p, (p * Decimal("0.42")).quantize(Decimal("0.01")), taxable,
                             "Each", business_units=bus))
    return specs


def _services() -> list[SkuSpec]:
    rows = (
        ("SVC-DIAG", "Diagnostic Fee", "89.00", True, "0.5", (5001, 5003, 5005)),
        ("SVC-TRIP", "Trip Charge", "49.00", False, "0.25", (5001, 5003, 5005)),
        ("SVC-AFTERHRS", "After-Hours Surcharge", "125.00", False, "0", (5001, 5003, 5005)),
        ("SVC-LABOR-HR", "Plumbing Labor (per hour)", "145.00", True, "1", (5001, 5002)),
        ("SVC-HVAC-HR", "HVAC Labor (per hour)", "155.00", True, "1", (5003, 5004)),
        ("PLB-TOILET-RPR", "Toilet Repair", "165.00", True, "1", (5001,)),
        ("PLB-TOILET-INST", "Toilet Installation", "295.00", False, "1.5", (5001, 5002)),
        ("PLB-FAUCET-RPR", "Faucet Repair", "145.00", True, "1", (5001,)),
        ("PLB-FAUCET-INST", "Faucet Installation", "225.00", False, "1", (5001, 5002)),
        ("PLB-LEAK-RPR", "Pipe Leak Repair", "245.00", True, "1.5", (5001,)),
        ("PLB-WH-FLUSH", "Water Heater Flush", "129.00", True, "1", (5001,)),
        ("PLB-WH-INST", "Water Heater Installation", "850.00", False, "4", (5002,)),
        ("PLB-TANKLESS-INST", "Tankless Water Heater Installation", "1450.00", False, "6", (5002,)),
        ("PLB-DISP-INST", "Garbage Disposal Installation", "195.00", False, "1", (5001, 5002)),
        ("PLB-SUMP-INST", "Sump Pump Installation", "395.00", False, "2", (5001, 5002)),
        ("PLB-PRV-INST", "Pressure Reducing Valve Installation", "325.00", False, "2", (5001, 5002)),
        ("PLB-REPIPE-BATH", "Bathroom Repipe", "2400.00", False, "12", (5002,)),
        ("PLB-GAS-LINE", "Gas Line Repair", "385.00", True, "2", (5001,)),
        ("PLB-BACKFLOW-TEST", "Backflow Test & Certification", "175.00", True, "1", (5001,)),
        ("DRN-SINK", "Sink Drain Cleaning", "175.00", True, "1", (5005,)),
        ("DRN-TUB", "Tub/Shower Drain Cleaning", "185.00", True, "1", (5005,)),
        ("DRN-MAIN", "Main Line Drain Cleaning", "395.00", True, "2", (5005,)),
        ("DRN-CAMERA", "Sewer Camera Inspection", "295.00", True, "1", (5005,)),
        ("DRN-HYDROJET", "Hydro-Jetting", "695.00", True, "3", (5005,)),
        ("DRN-ROOT", "Root Removal", "545.00", True, "2.5", (5005,)),
        ("HVAC-AC-TUNE", "AC Tune-Up", "149.00", True, "1", (5003,)),
        ("HVAC-FURN-TUNE", "Furnace Tune-Up", "149.00", True, "1", (5003,)),
        ("HVAC-BOILER-TUNE", "Boiler Tune-Up", "229.00", True, "1.5", (5003,)),
        ("HVAC-REFRIG-CHG", "Refrigerant Recharge Labor", "225.00", True, "1", (5003,)),
        ("HVAC-CAP-RPL", "Capacitor Replacement Labor", "145.00", True, "0.5", (5003,)),
        ("HVAC-MTR-RPL", "Blower Motor Replacement Labor", "325.00", True, "2", (5003,)),
        ("HVAC-IGN-RPL", "Igniter Replacement Labor", "165.00", True, "1", (5003,)),
        ("HVAC-TSTAT-INST", "Thermostat Installation", "145.00", False, "1", (5003, 5004)),
        ("HVAC-DUCT-CLEAN", "Duct Cleaning", "495.00", True, "4", (5003,)),
        ("HVAC-SYS-INST", "HVAC System Installation", "3200.00", False, "16", (5004,)),
        ("HVAC-MINI-INST", "Ductless Mini-Split Installation", "1850.00", False, "8", (5004,)),
        ("HVAC-BOILER-INST", "Boiler Installation", "2900.00", False, "14", (5004,)),
        ("SVC-PERMIT", "Permit & Inspection Fee", "250.00", False, "0", (5002, 5004)),
        ("SVC-HAULAWAY", "Equipment Haul-Away", "95.00", False, "0.5", (5002, 5004)),
        ("SVC-WARRANTY", "Warranty Labor", "0.00", False, "1", (5001, 5003)),
        ("SVC-MEMBERSHIP", "Comfort Club Membership (annual)", "199.00", False, "0", (5001, 5003)),
    )
    return [
        SkuSpec("services", code, name, Decimal(price), (Decimal(price) * Decimal("0.35")).quantize(Decimal("0.01")),
                taxable, None, Decimal(hours), bus)
        for code, name, price, taxable, hours, bus in rows
    ]


def _equipment() -> list[SkuSpec]:
    rows = (
        ("EQ-WH-GAS-40", "Rheem 40 Gal Gas Water Heater", "1195.00", 5002),
        ("EQ-WH-GAS-50", "Rheem 50 Gal Gas Water Heater", "1395.00", 5002),
        ("EQ-WH-ELEC-50", "A.O. Smith 50 Gal Electric Water Heater", "1095.00", 5002),
        ("EQ-WH-TANKLESS-199", "Navien 199k BTU Tankless Water Heater", "2495.00", 5002),
        ("EQ-WH-TANKLESS-160", "Rinnai 160k BTU Tankless Water Heater", "2195.00", 5002),
        ("EQ-WH-INDIRECT-40", "Indirect Water Heater 40 Gal", "1795.00", 5002),
        ("EQ-SOFTENER-48K", "Water Softener 48,000 Grain", "1495.00", 5002),
        ("EQ-FILTER-WHOLE", "Whole-House Water Filter", "895.00", 5002),
        ("EQ-SUMP-BATT", "Battery Backup Sump System", "795.00", 5002),
        ("EQ-EJECTOR-PUMP", "Sewage Ejector Pump", "1150.00", 5002),
        ("EQ-AC-2T-16S", "Carrier 2 Ton 16 SEER AC Condenser", "3450.00", 5004),
        ("EQ-AC-3T-16S", "Carrier 3 Ton 16 SEER AC Condenser", "3950.00", 5004),
        ("EQ-AC-4T-18S", "Carrier 4 Ton 18 SEER AC Condenser", "5250.00", 5004),
        ("EQ-HP-3T", "Lennox 3 Ton Heat Pump", "4850.00", 5004),
        ("EQ-FURN-60K-96", "Lennox 60k BTU 96% Furnace", "3295.00", 5004),
        ("EQ-FURN-80K-96", "Lennox 80k BTU 96% Furnace", "3595.00", 5004),
        ("EQ-FURN-100K-80", "Goodman 100k BTU 80% Furnace", "2495.00", 5004),
        ("EQ-COIL-3T", "Evaporator Coil 3 Ton", "1295.00", 5004),
        ("EQ-AH-3T", "Air Handler 3 Ton", "2195.00", 5004),
        ("EQ-MINI-12K", "Mitsubishi 12k BTU Mini-Split", "2650.00", 5004),
        ("EQ-MINI-18K", "Mitsubishi 18k BTU Mini-Split", "3150.00", 5004),
        ("EQ-MINI-24K", "Mitsubishi 24k BTU Mini-Split", "3650.00", 5004),
        ("EQ-BOILER-GAS-100", "Weil-McLain 100k BTU Gas Boiler", "5450.00", 5004),
        ("EQ-BOILER-COMBI", "Navien Combi Boiler", "5950.00", 5004),
        ("EQ-HUMID-WHOLE", "Whole-House Humidifier", "695.00", 5004),
        ("EQ-ERV", "Energy Recovery Ventilator", "1895.00", 5004),
        ("EQ-UV-LIGHT", "UV Air Purifier", "595.00", 5004),
        ("EQ-JETTER", "Drain Jetter Rental Unit", "0.00", 5005),
    )
    return [
        SkuSpec("equipment", code, name, Decimal(price), (Decimal(price) * Decimal("0.55")).quantize(Decimal("0.01")),
                True, "Each", Decimal("0"), (bu,))
        for code, name, price, bu in rows
    ]


MATERIALS = tuple(_materials())
SERVICES = tuple(_services())
EQUIPMENT = tuple(_equipment())

RETIRED_SKUS = (
    SkuSpec("materials", "PLB-GALV-075", '3/4" Galvanized Pipe (per ft) - discontinued', Decimal("5.80"),
            Decimal("2.10"), True, "Foot", business_units=(5001, 5002)),
    SkuSpec("services", "HVAC-R22-RECHG", "R-22 Recharge (legacy)", Decimal("385.00"), Decimal("120.00"), True,
            business_units=(5003,)),
    SkuSpec("equipment", "EQ-WH-GAS-40-OLD", "Bradford White 40 Gal (old model)", Decimal("1050.00"),
            Decimal("610.00"), True, "Each", business_units=(5002,)),
    SkuSpec("services", "SVC-DIAG-2024", "Diagnostic Fee (2024 price)", Decimal("79.00"), Decimal("20.00"), True,
            business_units=(5001, 5003, 5005)),
)
"""SKUs once in the pricebook and deleted since: old invoice lines still name them."""

INACTIVE_SKU_CODES = ("HVAC-R22-LB", "HVAC-FILT-16", "EQ-FURN-100K-80", "SVC-AFTERHRS", "PLB-BI-200")
"""SKUs kept in the pricebook but deactivated; old invoices use them."""

DISCOUNTS = (
    ("DSC-MEMBER-10", "Comfort Club Member Discount 10%", "percent", Decimal("0.10")),
    ("DSC-SENIOR-5", "Senior Discount 5%", "percent", Decimal("0.05")),
    ("DSC-COUPON-50", "$50 Off Coupon", "amount", Decimal("50.00")),
    ("DSC-COUPON-25", "$25 Off Drain Special", "amount", Decimal("25.00")),
)
"""Discounts and fees (PriceModifier lines). Their SKUs live in pricebook discounts-and-fees, not served."""
