"""First-start data: the demo merchant with its webhook, and the three test shoppers."""
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import Chaos, Merchant, Shopper, Webhook

# points-decisions.md, "The sandbox's shoppers". 500000003 has no account: not seeded.
TEST_SHOPPERS = {"500000001": 5000, "500000002": 0}


def seed_shoppers() -> None:
    for phone, balance in TEST_SHOPPERS.items():
        shopper = db.session.scalar(sa.select(Shopper).where(Shopper.phone == phone))
        if shopper is None:
            db.session.add(Shopper(phone=phone, balance=balance))
        else:
            shopper.balance = balance
    db.session.commit()


def seed_chaos() -> None:
    """The single row of chaos switches, made at start: made lazily, two concurrent first
    requests would both insert id 1 and one would fail."""
    if db.session.get(Chaos, 1) is not None:
        return
    db.session.add(Chaos(id=1))
    try:
        db.session.commit()
    except IntegrityError:  # another process starting on the same database made it
        db.session.rollback()


def seed() -> None:
    config = current_app.config
    seed_chaos()
    if db.session.scalar(sa.select(Merchant.id).limit(1)) is None:
        merchant = Merchant(name="Points Storefront (demo)", public_key=config["SANDBOX_PUBLIC_KEY"],
                            private_key=config["SANDBOX_PRIVATE_KEY"])
        merchant.webhooks.append(Webhook(name="Storefront", url=config["SANDBOX_SEEDED_WEBHOOK_URL"],
                                         secret=config["SANDBOX_WEBHOOK_SECRET"], seeded=True))
        db.session.add(merchant)
        db.session.commit()
        seed_shoppers()
    override = config["SANDBOX_WEBHOOK_URL_OVERRIDE"]
    if override:
        db.session.execute(sa.update(Webhook).where(Webhook.seeded.is_(True)).values(url=override))
        db.session.commit()
