# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workload seam: one file per workload kind behind the interface of ``base.py``; ``factory.py`` lists the kinds."""
