"""The demo catalogue, in English and Arabic: seeded on first start and by ``flask --app wsgi seed``."""

from decimal import Decimal

import sqlalchemy as sa

from .extensions import db
from .models import CartLine, Product

CATALOGUE = [
    # slug, name, category, price, description
    (
        "saudi-khawlani-coffee",
        "Khawlani Coffee Beans",
        "Coffee",
        "68.00",
        "Light-roast Khawlani beans from the Jazan highlands, with notes of apricot and cardamom. 500 g.",
    ),
    (
        "dallah-brass",
        "Brass Dallah",
        "Coffee",
        "185.00",
        "A hand-finished brass dallah for serving Saudi coffee the traditional way. 1 litre.",
    ),
    ("finjan-set", "Finjan Cup Set", "Coffee", "95.00", "Six porcelain finjan cups with a gold rim, boxed as a gift."),
    (
        "cardamom-blend",
        "Cardamom & Saffron Blend",
        "Coffee",
        "42.50",
        "Ground green cardamom with a touch of saffron, to stir into Arabic coffee. 250 g.",
    ),
    (
        "sukkari-dates",
        "Sukkari Dates Box",
        "Dates & Sweets",
        "79.00",
        "Soft, caramel-sweet Sukkari dates from Al-Qassim, packed in a gift box. 1 kg.",
    ),
    ("ajwa-dates", "Ajwa Dates", "Dates & Sweets", "120.00", "Dark, tender Ajwa dates from Madinah. 800 g."),
    (
        "maamoul-assortment",
        "Maamoul Assortment",
        "Dates & Sweets",
        "58.00",
        "Semolina biscuits filled with dates, pistachio and walnut. 24 pieces.",
    ),
    (
        "oud-incense",
        "Cambodian Oud Chips",
        "Home & Fragrance",
        "240.00",
        "Resin-rich oud chips for the mabkhara. 12 g in a glass jar.",
    ),
    (
        "mabkhara-burner",
        "Ceramic Mabkhara",
        "Home & Fragrance",
        "135.00",
        "An electric-free ceramic incense burner with a geometric pattern.",
    ),
    (
        "rose-water",
        "Taif Rose Water",
        "Home & Fragrance",
        "36.00",
        "Distilled from Taif roses; for the face, the home, and sweets. 250 ml.",
    ),
    (
        "prayer-mat",
        "Travel Prayer Mat",
        "Home & Fragrance",
        "89.00",
        "A light, foldable prayer mat with a compass pocket.",
    ),
    (
        "sadu-cushion",
        "Sadu Weave Cushion",
        "Home & Fragrance",
        "110.00",
        "A cushion cover woven in the Sadu tradition, red and black wool. 45 × 45 cm.",
    ),
    (
        "shemagh-red",
        "Red Shemagh",
        "Apparel",
        "149.00",
        "Classic red-and-white cotton shemagh, pre-washed for a soft drape.",
    ),
    (
        "thobe-white",
        "Summer Thobe",
        "Apparel",
        "260.00",
        "A white thobe in breathable cotton blend, classic Saudi collar.",
    ),
    ("leather-sandals", "Leather Sandals", "Apparel", "175.00", "Hand-stitched leather sandals with a cushioned sole."),
    (
        "camel-milk-chocolate",
        "Camel Milk Chocolate",
        "Dates & Sweets",
        "29.00",
        "Milk chocolate made with camel milk, with a hint of dates. 100 g.",
    ),
]


# Each product's name and description in Arabic, by slug.
CATALOGUE_AR = {
    "saudi-khawlani-coffee": (
        "بن خولاني",
        "حبوب بن خولاني محمصة تحميصًا خفيفًا من مرتفعات جازان، بنكهة المشمش والهيل. 500 غرام.",
    ),
    "dallah-brass": (
        "دلة نحاسية",
        "دلة من النحاس مشغولة يدويًا لتقديم القهوة السعودية على الطريقة التقليدية. لتر واحد.",
    ),
    "finjan-set": ("طقم فناجين", "ستة فناجين من البورسلين بحافة ذهبية، في علبة هدية."),
    "cardamom-blend": (
        "خلطة الهيل والزعفران",
        "هيل أخضر مطحون مع لمسة من الزعفران، يضاف إلى القهوة العربية. 250 غرام.",
    ),
    "sukkari-dates": ("علبة تمر سكري", "تمر سكري طري بحلاوة الكراميل من القصيم، معبأ في علبة هدية. 1 كيلوغرام."),
    "ajwa-dates": ("تمر عجوة", "تمر عجوة داكن وطري من المدينة المنورة. 800 غرام."),
    "maamoul-assortment": ("تشكيلة معمول", "معمول السميد محشو بالتمر والفستق والجوز. 24 قطعة."),
    "oud-incense": ("عود كمبودي", "قطع عود غنية بالدهن للمبخرة. 12 غرامًا في برطمان زجاجي."),
    "mabkhara-burner": ("مبخرة خزفية", "مبخرة من الخزف بنقش هندسي، تعمل دون كهرباء."),
    "rose-water": ("ماء ورد طائفي", "مقطّر من ورد الطائف؛ للوجه والبيت والحلويات. 250 مل."),
    "prayer-mat": ("سجادة صلاة للسفر", "سجادة صلاة خفيفة قابلة للطي، مع جيب للبوصلة."),
    "sadu-cushion": ("وسادة بنسيج السدو", "غطاء وسادة منسوج على طريقة السدو، من الصوف الأحمر والأسود. 45 × 45 سم."),
    "shemagh-red": ("شماغ أحمر", "شماغ قطني كلاسيكي بالأحمر والأبيض، مغسول مسبقًا لينسدل بنعومة."),
    "thobe-white": ("ثوب صيفي", "ثوب أبيض من خليط قطني يسمح بمرور الهواء، بياقة سعودية كلاسيكية."),
    "leather-sandals": ("نعال جلدية", "نعال من الجلد مخيطة يدويًا بنعل مريح."),
    "camel-milk-chocolate": (
        "شوكولاتة بحليب الإبل",
        "شوكولاتة بالحليب مصنوعة من حليب الإبل، بلمسة من التمر. 100 غرام.",
    ),
}


def seed_catalogue() -> int:
    """Replace the catalogue with the demo products; returns how many there are."""
    db.session.execute(sa.delete(CartLine))
    existing = {p.slug: p for p in db.session.scalars(sa.select(Product))}
    for position, (slug, name, category, price, description) in enumerate(CATALOGUE):
        product = existing.pop(slug, None) or Product(slug=slug)
        product.name, product.category, product.description = name, category, description
        product.name_ar, product.description_ar = CATALOGUE_AR.get(slug, ("", ""))
        product.price = Decimal(price)
        product.image = f"products/{slug}.svg"
        product.position = position
        product.on_sale = True  # the demo catalogue, as it ships
        db.session.add(product)
    for stale in existing.values():
        db.session.delete(stale)
    db.session.commit()
    return len(CATALOGUE)
