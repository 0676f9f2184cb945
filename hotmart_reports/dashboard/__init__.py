"""``hotmart-report dashboard``: every report of the marts as charts, in one HTML file that
opens offline (DESIGN.md decision 13). ``queries`` asks the marts, ``charts`` declares what
is drawn, ``library`` supplies the charting library, ``page`` lays out the file, ``build``
puts them together and ``command`` is the command line."""
