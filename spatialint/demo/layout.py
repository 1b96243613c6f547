"""The fixed plan of the demo region: its borders, city centres and towns (km, demo frame).

x runs east, y north, in km from 113.5°E 27.9°N (:mod:`.frame`); the region is
x ∈ [-110, 110], y ∈ [-40, 40]:

- 西城市 West City (admin_level 5, x < 0): 西城区 (x < -55, seat 西城 at (-80, 5)) and 西湖县
  (-55 < x < 0, seat 西湖镇). 东城市 East City (x > 0): 河东区 (0 < x < 45, seat 河东镇),
  东城区 (x > 45, y > -12, seat 东城 at (75, 10)) and 东山县 (x > 45, y < -12, seat 东山镇).

Every feature module places its objects relative to these; the positions of one feature alone
(the rural zones, the stations, the planted cases) live in that feature's module.
"""

from __future__ import annotations

# Admin borders (km).
X_B1, X_B2, X_B3 = -55.0, 0.0, 45.0  # 西城区|西湖县, 西城市|东城市, 河东区|东城区+东山县
Y_B5 = -12.0  # 东城区|东山县

# The two cities' centres (their street grids are centred here).
CENTRE_W = (-80.0, 5.0)
CENTRE_E = (75.0, 10.0)

#: The county seats that are towns, with a small street grid of their own.
SEAT_TOWNS = {
    "河东镇": (22.0, 3.0),
    "西湖镇": (-14.0, 3.0),
    "东山镇": (66.0, -26.0),
}
#: Villages east of the expressway (outside the rural zones), reached by 东岸路 and its links.
EAST_VILLAGES = ((102.0, 30.0), (102.0, 10.0), (102.0, -26.0))
