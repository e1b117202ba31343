"""Equipment records checked against the Yanchi technical guide (盐政办发〔2022〕8号 附件2).

:func:`cleanheat.equipment.compliance.check_equipment` is the one check: the CLI
(``cleanheat check-equipment``), acceptance in the registry and the advisor call it.
"""
