"""纳入救助: enrolment into 低保, 特困, 低保边缘 and 刚性支出困难 with its statutory clocks, the periodic
reviews of the categories, and appeals and complaints. Builds on people/ (the register) and relief/."""
