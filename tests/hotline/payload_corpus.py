# ruff: noqa: RUF001 (the corpus is text in other scripts, on purpose)
"""Real text a reporter might write, in many languages: none of it may be refused as encoded."""

URL_LIST = "\n".join(
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://i.imgur.com/AbC12xY.jpg",
        "https://i.imgur.com/QwE34rT.png",
        "https://imagehost.example/gallery/8f3a2b1c?page=2&sort=new",
        "https://forum.example.net/Thread/12345-Summer-Photos?Page=3&Sort=Date",
        "https://t.me/s/SomeChannelName/4821",
        "https://drive.example.com/file/d/1A2b3C4d5E6f7G8h9I0jKlMnOpQrStUv/view",
        "https://cdn.example.org/u/5d41402abc4b2a76b9719d911017c592.jpg",
        "https://www.reddit.com/r/pics/comments/1b2c3d4/the_second_picture/",
        "http://xn--80ak6aa92e.com/foto/2024/03/IMG_20240312_143522.jpg",
        "https://example.onion.ly/board/res/99812.html#q99830",
        "https://mega.example/folder/Zx81LmNq#Kp3XaB9cQ2eR7tYu1wVz",
        "https://vk.example/album-12345678_287654321?z=photo-12345678_457239017",
        "https://twitter.com/SomeUser_99/status/1767890123456789012",
        "https://www.tiktok.com/@some.user/video/7345678901234567890",
        "https://pastebin.example/raw/Hk3sL9qW",
        "https://s3.eu-west-1.amazonaws.com/bucket-name/uploads/2024/03/photo-001.jpeg",
        "https://images.example.com/gallery/42?page=3&utm_source=newsletter&utm_medium=email",
        "https://files.example.de/Bilder/Urlaub%202024/Kinder%20am%20Strand.jpg",
        "https://shorturl.example/aB3dE5",
        "https://www.facebook.com/photo/?fbid=122345678901234567&set=a.122098765432109876",
        "https://discord.com/channels/987654321098765432/123456789012345678",
        "https://boards.example.org/b/thread/873423211#p873424002",
        "https://i.example.net/2024/03/12/Kx7Pq2Lm.webp",
        "https://static.example.com/media/CAT_1234/ITEM-5678/view.html?lang=en-GB",
        "https://example.com/a/b/c/d/e/f/g/h/i/j/k/index.php?id=1&sid=2&page=3&x=4",
    ]
)

CORPUS = {
    "english": (
        "I found this while looking for holiday pictures. The second gallery on the page shows "
        "a young child, maybe seven or eight years old, in photos that are clearly not "
        "innocent. The site claims to be a modelling agency but the comments under each "
        "picture are disgusting. There are at least forty pages like this, and new ones "
        "appear every day. Please look at the archive section from March 2024 as well. "
        "I am not sure whether the site is hosted in the Netherlands, the footer mentions an "
        "office in Amsterdam. Thank you for doing this work."
    ),
    "english title case": (
        "Photos Of Kids 2024 At Camp 123 Page 45 Of 99, Click Next For More, Album Is Called "
        "Summer Fun Vol 3 Part 2, Uploaded By User XxDarkxX On 12 March At 14:35 UTC, "
        "Thread ID 88213, Post 4411, Mirror On Page 17 And Page 18 Of The Same Board."
    ),
    "all caps": (
        "THE PICTURES ARE ON PAGE 2 OF 5 AND ON PAGE 3 OF 7. LOOK AT ALBUM 4 AND ALBUM 6. "
        "THERE ARE 23 IMAGES OF A GIRL ABOUT 6 YEARS OLD. THE UPLOADER IS CALLED BOB2345. "
        "PLEASE HURRY, THE SITE SAYS IT WILL BE DELETED IN 72 HOURS. "
    )
    * 3,
    "dutch": (
        "Ik kwam deze website tegen via een link op een forum. Op de tweede pagina staan foto's "
        "van kinderen die duidelijk misbruikt worden. De beheerder noemt zichzelf "
        "'fotograaf' en verkoopt abonnementen. Onderaan de pagina staat een adres in "
        "Rotterdam, maar de server lijkt in het buitenland te staan. Er komen elke week nieuwe "
        "albums bij, het laatste op 12-03-2024 om 14:35. Graag snel verwijderen."
    ),
    "german": (
        "Auf dieser Seite werden Bilder von Kindern gezeigt, die eindeutig sexuellen "
        "Missbrauch darstellen. Die Galerie heißt „Sommerferien“ und hat über 300 Fotos. "
        "Die Kommentare unter den Bildern sind widerlich. Donaudampfschifffahrtsgesellschaft"
        "skapitänsmütze ist übrigens der Benutzername des Hochladers, kein Witz. Die "
        "Webseite gibt eine Adresse in Frankfurt an, Straße der Einheit 12, 60311."
    ),
    "russian": (
        "На этом сайте размещены фотографии детей, которые явно подвергаются насилию. "
        "Галерея называется «Летний лагерь», в ней более 200 изображений. Владелец сайта "
        "продаёт доступ к закрытым альбомам за криптовалюту. Ссылка на оплату находится "
        "внизу страницы. Пожалуйста, примите меры как можно скорее."
    ),
    "arabic": (
        "وجدت هذا الموقع أثناء البحث عن صور للعطلة. يعرض المعرض الثاني في الصفحة صورًا لأطفال "
        "بطريقة غير لائقة على الإطلاق. يدعي الموقع أنه وكالة عرض أزياء لكن التعليقات تحت كل "
        "صورة مقززة. هناك ما لا يقل عن أربعين صفحة مثل هذه وتظهر صفحات جديدة كل يوم."
    ),
    "chinese": (
        "我在寻找度假照片时发现了这个网站。页面上的第二个相册显示了一个大约七八岁的孩子，"
        "这些照片显然是不正当的。网站声称是一家模特经纪公司，但每张图片下面的评论都令人作呕。"
        "这样的页面至少有四十页，而且每天都有新的出现。请同时查看2024年3月的存档部分。"
        "网站页脚提到在阿姆斯特丹有办公室。谢谢你们所做的工作。"
    ),
    "japanese": (
        "休暇の写真を探しているときにこのサイトを見つけました。ページの二番目のギャラリーには、"
        "七、八歳くらいの子供の明らかに不適切な写真が載っています。サイトはモデル事務所だと"
        "主張していますが、各写真の下のコメントはひどいものです。このようなページが少なくとも"
        "四十ページあり、毎日新しいものが追加されています。2024年3月のアーカイブも確認してください。"
    ),
    "thai": (
        "ฉันพบเว็บไซต์นี้ขณะค้นหารูปภาพวันหยุดแกลเลอรีที่สองในหน้านี้แสดงภาพเด็กอายุประมาณเจ็ดหรือแปดขวบ"
        "ในลักษณะที่ไม่เหมาะสมอย่างชัดเจนเว็บไซต์อ้างว่าเป็นเอเจนซี่นางแบบแต่ความคิดเห็นใต้ภาพแต่ละภาพนั้น"
        "น่ารังเกียจมีหน้าแบบนี้อย่างน้อยสี่สิบหน้าและมีหน้าใหม่ปรากฏขึ้นทุกวันโปรดตรวจสอบส่วนเก็บถาวร"
    ),
    "spanish and french": (
        "Encontré este sitio mientras buscaba fotos de vacaciones; la segunda galería muestra "
        "a niños en fotos claramente inapropiadas. J'ai aussi trouvé un miroir du même site, "
        "hébergé apparemment en France : la page d'accueil s'appelle « Souvenirs d'été » et "
        "contient plus de cent cinquante photos. Merci de faire le nécessaire rapidement."
    ),
    "czech and polish": (
        "Strč prst skrz krk. Na této stránce jsou fotografie dětí, které jsou zjevně "
        "zneužívány. W Szczebrzeszynie chrząszcz brzmi w trzcinie; na tej stronie są zdjęcia "
        "dzieci, które są wyraźnie wykorzystywane. Proszę o szybkie usunięcie."
    ),
    "url list": URL_LIST,
    "urls in a sentence": (
        "Same pictures on three mirrors: https://i.imgur.com/AbC12xY.jpg and "
        "https://imagehost.example/gallery/8f3a2b1c?page=2 and also "
        "https://drive.example.com/file/d/1A2b3C4d5E6f7G8h9I0jKlMnOpQrStUv/view, all uploaded "
        "on 2024-03-12 by the same account (id 1767890123456789012)."
    ),
    "file hashes": (
        "The file I saw had these hashes (from my antivirus log):\n"
        "MD5: d41d8cd98f00b204e9800998ecf8427e\n"
        "SHA-1: da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
        "SHA-256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "SHA-256 of the second file:\n"
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
        "Ticket 550e8400-e29b-41d4-a716-446655440000 at my provider."
    ),
    "code and punctuation": (
        "The page runs a script like: if (a[i] == b) { return x->next; } else { y = (z * 2) + 1; } "
        'and the title is "!!! NEW !!! ***HOT*** ~~~ click ~~~ >>> here <<<" -- it\'s '
        "written as @user_99 #tag1 #tag2 $5/month (50% off!) [link] {mirror} | page 1/20 |"
    ),
}
