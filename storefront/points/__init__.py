"""The Points integration, and only it. Read it in this order, the way a redeem order travels:

1. ``client.py``: :class:`PointsClient`, the only code that speaks HTTP to Points.
2. ``checkout.py``: Pay with Points: the order stored first, then the hosted checkout session.
3. ``webhook.py`` with ``payload.py``: the only thing that confirms an order; the body read
   into typed values first.
4. ``orders.py``: the order state machine: one table of allowed moves, one function that applies
   what Points says.
5. ``locks.py``: how whoever changes an order reads it fresh and holds it.
6. ``reconcile.py``: asking Points about an order whose webhook never came.
7. ``staff.py``: what staff do through the Points API: shipping status, cancel, refund.
8. ``health.py``: what staff read of the integration's health.

Nothing here knows about pages or caching; the blueprints (``shop/``, ``cart/``, ``checkout/``,
``webhooks/``, ``admin/``) call into it.
"""
