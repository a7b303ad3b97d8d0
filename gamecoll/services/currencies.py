"""ISO 4217 currency codes a purchase may be recorded in.

The current codes (ISO 4217 list one, without the precious metals, bond-market units and
testing codes), and the codes replaced since 1999 (list three), since a collection records
purchases made years ago: a game bought in Germany in 1998 cost Deutsche Mark.
"""

from __future__ import annotations

from typing import Final

_CURRENT: Final = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD
XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""

_REPLACED: Final = """
ATS BEF BGL BYR CSD CYP DEM EEK ESP FIM FRF GHC GRD HRK IEP ITL LTL LUF LVL MGF MRO MTL MZM
NLG PTE ROL SDD SIT SKK SRG STD TMM TRL VEB VEF XEU YUM ZMK ZWD ZWR
"""

CURRENCIES: Final = frozenset((_CURRENT + _REPLACED).split())
"""Every code `purchase.currency` accepts (upper case)."""
