"""The WeChat adapter: python-wechaty (through a puppet service) translating for the host.

``compat`` holds every work-around for the pinned wechaty versions, ``translate`` turns a
stored message payload into the neutral ``Incoming``, ``transport`` sends the delivery core's
typed messages as text, ``runtime`` supervises the connection and feeds the host.
"""
