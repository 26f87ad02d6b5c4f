"""Name words common across the populations sanctions lists cover, written once by hand.

Two uses: without a list to count words in (the pairwise scorer), these are the words whose
agreement says little; and two *different* words from this set are two different names
(Khalid is not Khalil), however alike their spelling.
"""

from __future__ import annotations

from counterflow.screening.phonetic import phonetic

_WORDS = """
muhammad mohammed mohammad mohamed ahmad ahmed mahmud mahmoud hamid hamed hamad hammad
ali alawi hassan hasan hussein husain hussain husayn hasim hashim hashem hakim halim
abdullah abdallah abdulrahman abdulaziz abdulkarim abdulrahim abdulmalik abdulqadir abdulhamid
ibrahim ismail ishaq yaqub yusuf yousef yunus younis musa isa issa idris ilyas harun
khalid khaled khalil walid waleed majid majed rashid rashed sayed said saeed saad sad
saleh salih salem salim sulaiman suleiman sultan nasser nasir naser mansur mansour
karim kareem rahim raheem rahman aziz jamal kamal jalal bilal faisal fadel fadil fahd
tariq tarek talal omar umar ammar amr uthman othman usman osman abbas anas anwar asad
zaid zayd ziad ziyad zakaria yahya hamza hamdan hamdi nabil nabeel naim nur noor nuri
amin ameen amir ameer adel adil adnan murad mustafa mostafa murtada mortada mahdi hadi
hafiz haji jan khan gul shah mirza malik sheikh said sharif qasim kasim qassem hakimi
rahimi karimi ahmadi mohammadi husseini hosseini haqqani akhund noorzai achekzai
fatima aisha khadija maryam zainab amina halima salma layla laila nadia samira
john james david michael robert william richard thomas charles joseph paul mark peter
maria mary anna elena olga natalia irina svetlana tatiana ekaterina marina
ivan sergei sergey vladimir aleksandr alexander dmitri dmitry andrei andrey nikolai
smith johnson williams brown jones miller davis wilson anderson taylor
garcia rodriguez martinez hernandez lopez gonzalez perez sanchez ramirez torres
wang li zhang liu chen yang huang zhao wu zhou kim lee park choi jung
nguyen tran le pham singh kumar sharma patel khan gupta
"""
COMMON_NAME_WORDS: frozenset[str] = frozenset(phonetic(w) for w in _WORDS.split())
