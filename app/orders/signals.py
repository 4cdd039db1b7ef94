"""What the orders side announces, for packages it must not import (the cart, the payment event store).

`payment_recorded` is sent, inside the transaction, when money reaches an order or starts to
(paid, settling, or held for review); receivers get the session and order_id and may only
flush. app.checkout empties the cart of what was bought; app.payments applies provider events
that were waiting for this payment.
"""
from blinker import Namespace

_signals = Namespace()
payment_recorded = _signals.signal("payment-recorded")
