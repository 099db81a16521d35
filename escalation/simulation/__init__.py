"""The simulator: a scripted dispute played under a policy in a throw-away world, as one JSON line per event.

`scenario` reads and checks a scenario file, `world` builds the partnership, agencies and people it names,
`engine` plays the steps through the app's own services and deadline sweep inside one transaction that is
always rolled back, and `timeline` words the lines for people. `files` finds the scenarios shipped with the seed
policies and their expected output. Entry points: `manage.py simulate` and the policy page's "Try a scenario".
"""
