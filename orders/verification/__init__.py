"""Users' registered phones and phone verification (rule K1).

``models``: the user's phone (stored like buyer phones: encrypted, hashed,
masked), the SMS code device (django-otp's ``SideChannelDevice`` with its
throttling and cool-down mixins) and the verified logins. ``services`` send
and check codes and answer "is this login verified?"; ``apis`` and the admin's
export download are thin callers. The SMS provider is ``config.sms``.
"""
