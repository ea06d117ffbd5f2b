"""Vocabulary of the demo catalog: categories, areas, producers and product families.

Built from ``/work/shared/data/thai-nguyen-catalog-facts.md`` (real product families,
producers and localities of Thái Nguyên after the July 2025 merger with Bắc Kạn).
Everything here is plain data; ``demo.plan`` combines it deterministically.

Names that are not in the facts file (most communes, most sellers) are invented and the
rows built from them are marked ``is_demo=True``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..text import today_vn


def base_date(today: date | None = None) -> date:
    """The first day of the current month (Asia/Ho_Chi_Minh).

    Every date in the demo catalog is computed from this day, never from the clock
    itself, so seeds made in the same month are identical. Certificates issued in the
    30 months before it stay valid for at least six months after it, so a demo seeded
    at any time shows its 173 OCOP badges (a fixed date would expire them all one day).
    """
    return (today or today_vn()).replace(day=1)


BASE_DATE = base_date()
RANDOM_SEED = 20230173

# How many of each the catalog holds (the reference floor, Thái Nguyên 2023).
PUBLIC_PRODUCTS = 2760
GENERATED_SELLERS = 318  # plus the real producers below
PENDING_SELLERS = 3
NON_PUBLIC_PRODUCTS = 30
OCOP_STARS_MIX = {3: 105, 4: 62, 5: 6}  # 173 valid certificates, about 62 % / 36 % / 3 %
EXPIRED_CERTIFICATES = 6
UNVERIFIED_CERTIFICATES = 4
# Valid certificates that expire soon after the seed day (days left), so the staff queue
# "expiring within 90 days" and the 30/90-day reminders have work. They count among the 173.
NEAR_EXPIRY_DAYS = (12, 26, 45, 60, 80)
RURAL_INDUSTRY_TOTAL = 90
RURAL_REGION = 12
FEATURED = 20

# Featured collections on the home page and a category page (products chosen by rule).
COLLECTION_FIVE_STARS = ("Sản phẩm OCOP 5 sao", "san-pham-ocop-5-sao",
                         "Những sản phẩm đạt hạng 5 sao OCOP cấp quốc gia của Thái Nguyên: chè, miến dong "
                         "và đặc sản được Bộ Nông nghiệp công nhận.")
COLLECTION_TEA = ("Đặc sản chè Thái Nguyên", "dac-san-che-thai-nguyen",
                  "Chè Tân Cương, La Bằng, Trại Cài… từ các hợp tác xã có sản phẩm được chứng nhận OCOP, "
                  "hạng sao cao trước.")
COLLECTION_GIFTS = ("Quà Tết từ Thái Nguyên", "qua-tet-thai-nguyen",
                    "Hộp quà chè, miến, mật ong và đặc sản đóng hộp sang trọng để biếu người thân, "
                    "đối tác dịp Tết. Bộ sưu tập theo mùa, hiển thị trong ba tháng.")
COLLECTION_NOODLES = ("Miến dong OCOP", "mien-dong-ocop",
                      "Miến dong sạch làm từ củ dong riềng của các làng nghề, sản phẩm có chứng nhận OCOP trước.",
                      "Miến, bún, phở khô")
COLLECTION_ROW_PRODUCTS = 12
COLLECTION_GIFT_PRODUCTS = 16
COLLECTION_GIFT_MONTHS = 3

# --------------------------------------------------------------------------------------
# Categories: (slug, name, name_en, parent slug). Roots carry the OCOP group key.
# Decision 148/QĐ-TTg (2023) puts tea ("chè và sản phẩm từ chè") in the food group.
# --------------------------------------------------------------------------------------
ROOT_CATEGORIES: tuple[tuple[str, str, str, str | None], ...] = (
    ("thuc-pham", "Thực phẩm", "Food", "thuc-pham"),
    ("do-uong", "Đồ uống", "Beverages", "do-uong"),
    ("duoc-lieu", "Dược liệu và sản phẩm từ dược liệu", "Medicinal herbs and herbal products", "duoc-lieu"),
    ("thu-cong-my-nghe", "Hàng thủ công mỹ nghệ", "Handicrafts", "thu-cong-my-nghe"),
    ("sinh-vat-canh", "Sinh vật cảnh", "Ornamental plants and animals", "sinh-vat-canh"),
    (
        "du-lich",
        "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
        "Community and eco-tourism services",
        "du-lich",
    ),
    ("may-moc-thiet-bi", "Máy móc, thiết bị, dụng cụ cơ khí", "Machinery, equipment and mechanical tools", None),
)

# (name, name_en, parent root slug); slugs come from text.slugify(name).
CHILD_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("Chè (trà)", "Tea", "thuc-pham"),
    ("Miến, bún, phở khô", "Glass noodles, dried rice noodles", "thuc-pham"),
    ("Mật ong", "Honey", "thuc-pham"),
    ("Gạo, nếp", "Rice and sticky rice", "thuc-pham"),
    ("Măng, nấm, rau củ khô", "Bamboo shoots, mushrooms, dried vegetables", "thuc-pham"),
    ("Trái cây", "Fruit", "thuc-pham"),
    ("Thịt, lạp sườn", "Meat and sausages", "thuc-pham"),
    ("Bánh kẹo, tương, gia vị", "Cakes, sweets, sauces and spices", "thuc-pham"),
    ("Rượu", "Rice and fruit wines", "do-uong"),
    ("Nước giải khát, giấm", "Soft drinks and vinegar", "do-uong"),
    ("Trà thảo dược", "Herbal teas", "duoc-lieu"),
    ("Tinh bột nghệ", "Turmeric starch", "duoc-lieu"),
    ("Sản phẩm từ dược liệu", "Herbal products", "duoc-lieu"),
    ("Đồ gỗ mỹ nghệ", "Fine woodwork", "thu-cong-my-nghe"),
    ("Mây tre đan", "Rattan and bamboo weaving", "thu-cong-my-nghe"),
    ("Thổ cẩm, dệt may", "Brocade and textiles", "thu-cong-my-nghe"),
    ("Cây cảnh, bonsai", "Ornamental trees and bonsai", "sinh-vat-canh"),
    ("Hoa lan", "Orchids", "sinh-vat-canh"),
    ("Du lịch cộng đồng", "Community tourism", "du-lich"),
    ("Điểm du lịch sinh thái", "Eco-tourism sites", "du-lich"),
    ("Máy chế biến chè, nông sản", "Tea and farm-produce processing machines", "may-moc-thiet-bi"),
    ("Phụ tùng, dụng cụ cơ khí", "Mechanical parts and tools", "may-moc-thiet-bi"),
)

# --------------------------------------------------------------------------------------
# Areas. Former districts keep their historical issuer name (for district-level OCOP
# decisions before July 2025) and whether they belonged to Bắc Kạn province.
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class District:
    alias: str  # the former district's name as people still say it
    issuer: str  # People's Committee that signed district-level decisions
    bac_kan: bool = False


DISTRICTS: dict[str, District] = {
    "tp-thai-nguyen": District("TP Thái Nguyên", "UBND thành phố Thái Nguyên"),
    "tp-song-cong": District("TP Sông Công", "UBND thành phố Sông Công"),
    "tp-pho-yen": District("TP Phổ Yên", "UBND thành phố Phổ Yên"),
    "dinh-hoa": District("Định Hóa", "UBND huyện Định Hóa"),
    "dai-tu": District("Đại Từ", "UBND huyện Đại Từ"),
    "phu-luong": District("Phú Lương", "UBND huyện Phú Lương"),
    "dong-hy": District("Đồng Hỷ", "UBND huyện Đồng Hỷ"),
    "vo-nhai": District("Võ Nhai", "UBND huyện Võ Nhai"),
    "phu-binh": District("Phú Bình", "UBND huyện Phú Bình"),
    "tp-bac-kan": District("TP Bắc Kạn", "UBND thành phố Bắc Kạn", True),
    "ba-be": District("Ba Bể", "UBND huyện Ba Bể", True),
    "bach-thong": District("Bạch Thông", "UBND huyện Bạch Thông", True),
    "cho-don": District("Chợ Đồn", "UBND huyện Chợ Đồn", True),
    "cho-moi": District("Chợ Mới", "UBND huyện Chợ Mới", True),
    "na-ri": District("Na Rì", "UBND huyện Na Rì", True),
    "ngan-son": District("Ngân Sơn", "UBND huyện Ngân Sơn", True),
    "pac-nam": District("Pác Nặm", "UBND huyện Pác Nặm", True),
}


@dataclass(frozen=True)
class AreaSpec:
    name: str  # "xã Tân Cương"
    kind: str  # commune | ward
    district: str  # key of DISTRICTS
    former: tuple[str, ...] = ()  # former communes/towns merged into it
    real: bool = False  # named in the facts file; otherwise invented → is_demo

    @property
    def short(self) -> str:
        return self.name.split(" ", 1)[1]


AREAS: tuple[AreaSpec, ...] = (
    # Former TP Thái Nguyên
    AreaSpec("xã Tân Cương", "commune", "tp-thai-nguyen", ("Thịnh Đức", "Bình Sơn", "Tân Cương (cũ)"), True),
    AreaSpec("phường Quyết Thắng", "ward", "tp-thai-nguyen", ("Thịnh Đán", "Phúc Hà", "Quyết Thắng (cũ)"), True),
    AreaSpec(
        "phường Tích Lương", "ward", "tp-thai-nguyen",
        ("Trung Thành", "Phú Xá", "Tân Thành", "Tân Lập", "Cam Giá", "Tích Lương (cũ)"), True,
    ),
    AreaSpec("phường Phan Đình Phùng", "ward", "tp-thai-nguyen", ("Phan Đình Phùng (cũ)",), True),
    AreaSpec("phường Gia Sàng", "ward", "tp-thai-nguyen", ("Gia Sàng (cũ)",)),
    AreaSpec("phường Linh Sơn", "ward", "tp-thai-nguyen", ("Huống Thượng", "Linh Sơn (cũ)")),
    # Former Đại Từ
    AreaSpec("xã Đại Phúc", "commune", "dai-tu", ("TT Hùng Sơn", "Phúc Xuân", "Phúc Trìu", "Tân Thái", "Phúc Tân"), True),
    AreaSpec("xã La Bằng", "commune", "dai-tu", ("La Bằng (cũ)", "Hoàng Nông")),
    AreaSpec("xã Quân Chu", "commune", "dai-tu", ("TT Quân Chu", "Cát Nê")),
    AreaSpec("xã Phú Xuyên", "commune", "dai-tu", ("Phú Xuyên (cũ)", "Yên Lãng")),
    AreaSpec("xã Đức Lương", "commune", "dai-tu", ("Đức Lương (cũ)", "Phú Cường")),
    # Former Định Hóa
    AreaSpec("xã Định Hóa", "commune", "dinh-hoa", ("TT Chợ Chu", "Phúc Chu", "Bảo Linh", "Đồng Thịnh"), True),
    AreaSpec("xã Bình Yên", "commune", "dinh-hoa", ("Bình Yên (cũ)",), True),
    AreaSpec("xã Trung Hội", "commune", "dinh-hoa", ("Trung Hội (cũ)",), True),
    AreaSpec("xã Phượng Tiến", "commune", "dinh-hoa", ("Phượng Tiến (cũ)",), True),
    AreaSpec("xã Phú Đình", "commune", "dinh-hoa", ("Phú Đình (cũ)",), True),
    AreaSpec("xã Bình Thành", "commune", "dinh-hoa", ("Bình Thành (cũ)",), True),
    AreaSpec("xã Kim Phượng", "commune", "dinh-hoa", ("Kim Phượng (cũ)",), True),
    AreaSpec("xã Lam Vỹ", "commune", "dinh-hoa", ("Lam Vỹ (cũ)",), True),
    # Former Phổ Yên, Sông Công
    AreaSpec("xã Thành Công", "commune", "tp-pho-yen", ("Thành Công (cũ)",), True),
    AreaSpec("phường Phổ Yên", "ward", "tp-pho-yen", ("Ba Hàng", "Hồng Tiến")),
    AreaSpec("xã Minh Đức", "commune", "tp-pho-yen", ("Minh Đức (cũ)", "Phúc Tân (Phổ Yên)")),
    AreaSpec("phường Sông Công", "ward", "tp-song-cong", ("Thắng Lợi", "Mỏ Chè")),
    # Former Phú Lương
    AreaSpec("xã Phú Lương", "commune", "phu-luong", ("TT Đu", "Động Đạt")),
    AreaSpec("xã Vô Tranh", "commune", "phu-luong", ("Vô Tranh (cũ)", "Tức Tranh")),
    AreaSpec("xã Yên Trạch", "commune", "phu-luong", ("Yên Trạch (cũ)", "Yên Ninh")),
    # Former Đồng Hỷ
    AreaSpec("xã Đồng Hỷ", "commune", "dong-hy", ("Hóa Thượng", "Hóa Trung", "TT Sông Cầu")),
    AreaSpec("xã Trại Cau", "commune", "dong-hy", ("TT Trại Cau", "Minh Lập", "Trại Cài")),
    AreaSpec("xã Văn Hán", "commune", "dong-hy", ("Văn Hán (cũ)", "Khe Mo")),
    # Former Võ Nhai
    AreaSpec("xã Võ Nhai", "commune", "vo-nhai", ("TT Đình Cả", "Phú Thượng", "Lâu Thượng"), True),
    AreaSpec("xã La Hiên", "commune", "vo-nhai", ("La Hiên (cũ)", "Cúc Đường")),
    AreaSpec("xã Thần Sa", "commune", "vo-nhai", ("Thần Sa (cũ)", "Thượng Nung")),
    # Former Phú Bình
    AreaSpec("xã Phú Bình", "commune", "phu-binh", ("TT Hương Sơn", "Xuân Phương")),
    AreaSpec("xã Điềm Thụy", "commune", "phu-binh", ("Điềm Thụy (cũ)", "Thượng Đình")),
    # Former Bắc Kạn
    AreaSpec("phường Bắc Kạn", "ward", "tp-bac-kan", ("Nông Thượng", "Sông Cầu (Bắc Kạn)")),
    AreaSpec("phường Đức Xuân", "ward", "tp-bac-kan", ("Đức Xuân (cũ)", "Huyền Tụng")),
    AreaSpec("xã Ba Bể", "commune", "ba-be", ("TT Chợ Rã", "Thượng Giáo")),
    AreaSpec("xã Nam Mẫu", "commune", "ba-be", ("Nam Mẫu (cũ)", "Khang Ninh")),
    AreaSpec("xã Bạch Thông", "commune", "bach-thong", ("TT Phủ Thông", "Vi Hương")),
    AreaSpec("xã Chợ Đồn", "commune", "cho-don", ("TT Bằng Lũng", "Bằng Phúc", "Ngọc Phái")),
    AreaSpec("xã Chợ Mới", "commune", "cho-moi", ("TT Đồng Tâm", "Yên Đĩnh", "Tân Dân")),
    AreaSpec("xã Na Rì", "commune", "na-ri", ("TT Yến Lạc", "Kim Lư", "Côn Minh")),
    AreaSpec("xã Ngân Sơn", "commune", "ngan-son", ("TT Vân Tùng", "Thượng Quan")),
    AreaSpec("xã Pác Nặm", "commune", "pac-nam", ("Bộc Bố", "Nhạn Môn")),
)

PROVINCE = ("Thái Nguyên", "thai-nguyen")
PROVINCE_ALIASES = ("Bắc Kạn", "Bắc Cạn")


# --------------------------------------------------------------------------------------
# Product families: the generator combines a name stem (with the seller's brand), a size
# and a packaging into "Chè móc câu Hảo Đạt 200 g hộp giấy", unit "hộp 200 g".
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    key: str
    category: str  # child category name (see CHILD_CATEGORIES)
    # "{brand}" is replaced by the seller's brand; "|bộ" at the end overrides the unit
    stems: tuple[str, ...]
    # (label in the name, quantity of the price basis[, label in the unit if different])
    sizes: tuple[tuple, ...]
    packs: tuple[tuple[str, str, float], ...]  # (label in name, unit template, price factor)
    price: tuple[int, int]  # VND per price basis (kg, litre, piece, person-day)
    sentences: tuple[str, ...]  # description sentences; {brand} {area} {seller}
    motif: str  # photo motif
    rural: bool = False  # may be a typical rural-industry product
    ocop: bool = True  # may carry an OCOP certificate


TEA_PACKS = (
    ("hộp giấy", "hộp {size}", 1.0),
    ("túi zip", "túi {size}", 0.9),
    ("hộp gỗ quà tặng", "hộp gỗ {size}", 1.45),
    ("hộp thiếc", "hộp thiếc {size}", 1.2),
    ("túi hút chân không", "túi {size}", 0.92),
)
TEA_SIZES = (("100 g", 0.1), ("200 g", 0.2), ("250 g", 0.25), ("500 g", 0.5), ("1 kg", 1.0))
TEA_SENTENCES = (
    "Búp chè được hái một tôm hai lá vào sáng sớm, sao suốt thủ công trên chảo gang.",
    "Nước pha xanh vàng sánh, hương cốm non, vị chát dịu rồi ngọt hậu lâu.",
    "Vùng chè {area} có đất đồi feralit và sương sớm quanh năm, tạo nên hương vị riêng.",
    "Nên pha với nước sôi để nguội khoảng 85 °C, tráng ấm trước khi hãm 2–3 phút.",
    "Sản phẩm được {seller} sản xuất theo quy trình VietGAP, không dùng chất tạo màu.",
    "Bảo quản nơi khô ráo, tránh ánh nắng và mùi lạ; dùng hết trong 30 ngày sau khi mở túi.",
    "Chè {brand} là món quà quen thuộc của người Thái Nguyên mỗi dịp lễ Tết.",
)

FAMILIES: tuple[Family, ...] = (
    # ---- tea -------------------------------------------------------------------------
    Family("moc-cau", "Chè (trà)", ("Chè móc câu {brand}", "Trà móc câu {brand}"), TEA_SIZES, TEA_PACKS,
           (150_000, 600_000), TEA_SENTENCES + (
               "Cánh chè nhỏ, xoăn như lưỡi câu, màu xanh đen mốc trắng.",), "leaf", rural=True),
    Family("che-dinh", "Chè (trà)", ("Chè đinh {brand}", "Trà đinh {brand}", "Chè đinh Tân Cương {brand}"),
           (("100 g", 0.1), ("200 g", 0.2), ("250 g", 0.25), ("500 g", 0.5)), TEA_PACKS,
           (1_200_000, 3_200_000), TEA_SENTENCES + (
               "Chè đinh chỉ lấy phần đỉnh búp non nhất, nhỏ như chiếc đinh, cần rất nhiều búp mới đủ một cân.",),
           "leaf", rural=True),
    Family("non-tom", "Chè (trà)", ("Chè nõn tôm {brand}", "Trà tôm nõn {brand}"),
           (("100 g", 0.1), ("200 g", 0.2), ("500 g", 0.5)), TEA_PACKS, (800_000, 2_000_000),
           TEA_SENTENCES + ("Nõn tôm là búp chè non còn cuộn tròn, cho nước trong và hương thơm bền.",), "leaf",
           rural=True),
    Family("che-bup", "Chè (trà)", ("Chè búp {brand}", "Chè búp Tân Cương {brand}", "Chè xanh {brand}"),
           TEA_SIZES, TEA_PACKS, (180_000, 450_000), TEA_SENTENCES, "leaf", rural=True),
    Family("tui-loc", "Chè (trà)", ("Trà xanh túi lọc {brand}", "Trà túi lọc {brand}"),
           (("25 túi × 2 g", 0.05), ("50 túi × 2 g", 0.1), ("100 túi × 2 g", 0.2)),
           (("hộp giấy", "hộp {size}", 1.0), ("hộp quà", "hộp quà {size}", 1.3)), (500_000, 900_000),
           ("Trà xanh túi lọc tiện pha nhanh ở văn phòng, mỗi túi 2 g vừa một cốc 200 ml.",
            "Nguyên liệu là chè búp {brand} sấy khô, nghiền vừa để nước ra đều mà không đục.",
            "Hãm 2–3 phút với nước khoảng 85 °C, có thể pha lạnh với đá.",
            "Sản phẩm của {seller}, vùng nguyên liệu tại {area}."), "cup", rural=True),
    Family("uop-hoa", "Chè (trà)", ("Trà ướp hoa nhài {brand}", "Trà ướp hoa sen {brand}", "Trà ướp hoa bưởi {brand}"),
           (("100 g", 0.1), ("200 g", 0.2), ("500 g", 0.5)), TEA_PACKS, (400_000, 1_200_000),
           ("Chè búp được ướp nhiều lượt với hoa tươi hái buổi sớm, rồi sấy nhẹ để giữ hương.",
            "Nước trà vàng sáng, hương hoa thoang thoảng quyện với vị chè Thái đậm đà.",
            "Món quà tao nhã để biếu người thân, đối tác dịp lễ Tết.",
            "Sản phẩm của {seller}, {area}."), "flower", rural=True),
    Family("hong-tra", "Chè (trà)", ("Hồng trà {brand}", "Trà Shan tuyết {brand}", "Bạch trà {brand}"),
           (("100 g", 0.1), ("200 g", 0.2), ("500 g", 0.5)), TEA_PACKS, (600_000, 1_800_000),
           ("Làm từ búp chè trung du và chè Shan tuyết, lên men nhẹ theo cách truyền thống.",
            "Nước màu hổ phách, vị ngọt mật, ít chát, hợp uống nóng hoặc pha trà sữa.",
            "Sản xuất thủ công theo mẻ nhỏ tại {area}.",
            "Bảo quản kín, nơi khô ráo, tránh ánh nắng trực tiếp."), "cup"),
    Family("keo-che", "Bánh kẹo, tương, gia vị", ("Kẹo lạc chè xanh {brand}", "Bánh cốm chè xanh {brand}"),
           (("200 g", 0.2), ("300 g", 0.3), ("500 g", 0.5)),
           (("hộp giấy", "hộp {size}", 1.0), ("túi", "túi {size}", 0.9)), (150_000, 280_000),
           ("Lạc rang thơm giòn kết hợp bột chè xanh Thái Nguyên, ngọt vừa, không chất bảo quản.",
            "Món quà quê dùng kèm chén trà nóng những ngày se lạnh.",
            "Sản phẩm của {seller}, {area}."), "box", rural=True),
    # ---- food ------------------------------------------------------------------------
    Family("mien-dong", "Miến, bún, phở khô", ("Miến dong {brand}", "Miến dong sạch {brand}", "Miến dong tỏi đen {brand}"),
           (("300 g", 0.3), ("500 g", 0.5), ("1 kg", 1.0), ("2 kg", 2.0)),
           (("", "túi {size}", 1.0), ("hộp quà", "hộp {size}", 1.15)), (70_000, 150_000),
           ("Sợi miến làm từ 100 % tinh bột dong riềng, phơi nắng tự nhiên, không pha trộn.",
            "Sợi dai, trong, không nát khi nấu; hợp xào, nấu canh hay lẩu.",
            "Ngâm nước ấm 5–7 phút trước khi chế biến.",
            "Dong riềng được trồng tại {area}, chế biến tại cơ sở của {seller}."), "noodle", rural=True),
    Family("bun-pho", "Miến, bún, phở khô", ("Bún khô {brand}", "Phở khô {brand}", "Mỳ gạo {brand}", "Bánh đa {brand}"),
           (("300 g", 0.3), ("500 g", 0.5), ("1 kg", 1.0)), (("", "túi {size}", 1.0),), (45_000, 90_000),
           ("Làm từ gạo Bao thai địa phương, tráng và phơi khô theo nghề truyền thống.",
            "Sợi mềm, không bị chua, trụng nhanh 2–3 phút là dùng được.",
            "Sản phẩm của {seller}, {area}."), "noodle", rural=True),
    Family("mat-ong", "Mật ong", ("Mật ong hoa nhãn {brand}", "Mật ong hoa rừng {brand}", "Mật ong bạc hà {brand}",
                                "Mật ong hoa cà phê {brand}"),
           (("250 ml", 0.25), ("500 ml", 0.5), ("1 lít", 1.0)),
           (("chai thủy tinh", "chai {size}", 1.0), ("", "chai {size}", 0.95)), (250_000, 400_000),
           ("Mật được quay từ đàn ong nuôi dưới tán rừng {area}, không pha đường.",
            "Mật sánh, thơm, có thể kết tinh khi trời lạnh – đó là dấu hiệu của mật thật.",
            "Dùng pha nước ấm, ngâm chanh, gừng hoặc dùng kèm bánh.",
            "Sản phẩm của {seller}."), "jar", rural=True),
    Family("gao-nep", "Gạo, nếp", ("Gạo nếp Khẩu Nua Lếch {brand}", "Gạo Bao thai {brand}", "Gạo nếp cái hoa vàng {brand}",
                                  "Gạo nếp vải {brand}", "Gạo Japonica {brand}"),
           (("2 kg", 2.0), ("5 kg", 5.0), ("10 kg", 10.0)), (("", "túi {size}", 1.0), ("bao", "bao {size}", 0.97)),
           (30_000, 60_000),
           ("Lúa được cấy một vụ trên ruộng bậc thang {area}, tưới nước suối đầu nguồn.",
            "Hạt gạo tròn, dẻo, thơm; nấu xôi, gói bánh chưng đều ngon.",
            "Xay xát ngay trước khi đóng túi để giữ độ tươi.",
            "Sản phẩm của {seller}."), "bowl"),
    Family("mang-nam", "Măng, nấm, rau củ khô", ("Măng khô lục trúc {brand}", "Măng khô {brand}", "Nấm hương rừng {brand}",
                                              "Mộc nhĩ {brand}", "Măng ớt {brand}"),
           (("200 g", 0.2), ("300 g", 0.3), ("500 g", 0.5), ("1 kg", 1.0)),
           (("", "túi {size}", 1.0), ("hộp quà", "hộp {size}", 1.15)), (250_000, 500_000),
           ("Nguyên liệu thu hái tại {area}, sơ chế và sấy khô ngay trong ngày.",
            "Ngâm nước ấm trước khi nấu; hợp hầm xương, xào hoặc nấu canh.",
            "Không dùng chất tẩy trắng, chất bảo quản.",
            "Sản phẩm của {seller}."), "mushroom", rural=True),
    Family("trai-cay", "Trái cây", ("Hồng không hạt {brand}", "Cam sành {brand}", "Quýt {brand}", "Bưởi Diễn {brand}",
                                   "Vải thiều {brand}", "Na dai {brand}"),
           (("1 kg", 1.0), ("3 kg", 3.0), ("5 kg", 5.0)), (("thùng", "thùng {size}", 1.05), ("", "túi {size}", 1.0)),
           (15_000, 80_000),
           ("Quả được hái chín cây tại vườn {area}, giao trong 24 giờ.",
            "Vườn canh tác theo hướng hữu cơ, có mã số vùng trồng.",
            "Bảo quản ngăn mát tủ lạnh, dùng trong 5–7 ngày.",
            "Sản phẩm của {seller}."), "fruit", ocop=True),
    Family("thit", "Thịt, lạp sườn", ("Lạp sườn {brand}", "Thịt lợn gác bếp {brand}", "Thịt trâu gác bếp {brand}",
                                     "Xúc xích lợn đen {brand}"),
           (("300 g", 0.3), ("500 g", 0.5), ("1 kg", 1.0)), (("túi hút chân không", "túi {size}", 1.0),), (250_000, 900_000),
           ("Làm theo công thức của người Tày vùng {area}, tẩm mắc khén, gừng, tỏi rồi hun khói bếp củi.",
            "Thịt thơm, dai, chấm chéo hoặc nướng than đều ngon.",
            "Đóng gói hút chân không, bảo quản ngăn đá được 6 tháng.",
            "Sản phẩm của {seller}."), "box", rural=True),
    Family("tuong-gia-vi", "Bánh kẹo, tương, gia vị", ("Tương nếp {brand}", "Bánh chưng gù {brand}",
                                                      "Bánh gai {brand}", "Muối ớt rừng {brand}"),
           (("500 g", 0.5), ("1 kg", 1.0)), (("chai", "chai {size}", 1.0), ("hộp", "hộp {size}", 1.0)), (60_000, 160_000),
           ("Làm thủ công theo nếp nhà truyền qua nhiều đời ở {area}.",
            "Nguyên liệu là nếp, đậu tương và gia vị địa phương, không chất bảo quản.",
            "Sản phẩm của {seller}."), "jar", rural=True),
    # ---- beverages -------------------------------------------------------------------
    Family("ruou", "Rượu", ("Rượu men lá {brand}", "Rượu mơ {brand}", "Rượu ngô men lá {brand}",
                           "Rượu chuối men lá {brand}", "Rượu nếp cẩm {brand}"),
           (("500 ml", 1.0), ("750 ml", 1.4), ("1 lít", 1.8)),
           (("chai thủy tinh", "chai {size}", 1.0), ("bình gốm", "bình {size}", 1.6)), (100_000, 300_000),
           ("Chưng cất từ nếp nương và men lá rừng theo bí quyết của đồng bào Tày ở {area}.",
            "Rượu trong, êm, hậu ngọt; nồng độ khoảng 29–35 độ.",
            "Uống có trách nhiệm; không bán cho người dưới 18 tuổi.",
            "Sản phẩm của {seller}."), "bottle", rural=True),
    Family("giam-nuoc", "Nước giải khát, giấm", ("Giấm chuối {brand}", "Nước cốt gừng mật ong {brand}",
                                                "Siro mơ {brand}"),
           (("330 ml", 0.33), ("500 ml", 0.5), ("1 lít", 1.0)), (("chai", "chai {size}", 1.0),), (60_000, 160_000),
           ("Lên men tự nhiên từ nguyên liệu trồng tại {area}, không phẩm màu.",
            "Dùng pha nước uống, làm nước chấm hoặc trộn gỏi.",
            "Sản phẩm của {seller}."), "bottle"),
    # ---- medicinal herbs -------------------------------------------------------------
    Family("tra-thao-duoc", "Trà thảo dược", ("Trà giảo cổ lam {brand}", "Trà hoa vàng {brand}", "Trà nụ vối {brand}",
                                              "Trà túi lọc cà gai leo {brand}", "Trà dây thìa canh {brand}"),
           (("100 g", 0.1), ("200 g", 0.2), ("500 g", 0.5)),
           (("túi", "túi {size}", 1.0), ("hộp giấy", "hộp {size}", 1.1)), (300_000, 1_500_000),
           ("Dược liệu trồng và thu hái tại vùng núi đá {area}, sấy lạnh giữ nguyên hoạt chất.",
            "Vị đắng nhẹ rồi ngọt hậu, hỗ trợ thanh nhiệt, ngủ ngon.",
            "Sản phẩm không phải là thuốc, không có tác dụng thay thế thuốc chữa bệnh.",
            "Sản phẩm của {seller}."), "herb", rural=True),
    Family("tinh-bot-nghe", "Tinh bột nghệ", ("Tinh bột nghệ nếp đỏ {brand}", "Tinh bột nghệ nếp đen {brand}",
                                              "Tinh bột nghệ vàng {brand}", "Viên nghệ mật ong {brand}"),
           (("100 g", 0.1), ("200 g", 0.2), ("500 g", 0.5)),
           (("hũ thủy tinh", "hũ {size}", 1.0), ("túi", "túi {size}", 0.92)), (400_000, 800_000),
           ("Củ nghệ nếp trồng trên nương {area}, rửa, xay và lọc nhiều lần để tách tinh dầu.",
            "Bột mịn, màu vàng tươi, mùi thơm nhẹ, pha với nước ấm và mật ong.",
            "Sản phẩm không phải là thuốc, không có tác dụng thay thế thuốc chữa bệnh.",
            "Sản phẩm của {seller}."), "jar", rural=True),
    Family("duoc-pham", "Sản phẩm từ dược liệu", ("Cao giảo cổ lam {brand}", "Tinh dầu quế {brand}",
                                                 "Tinh dầu sả chanh {brand}", "Dầu xoa bóp thảo dược {brand}"),
           (("10 ml", 0.01), ("50 ml", 0.05), ("100 g", 0.1)), (("lọ", "lọ {size}", 1.0),), (1_500_000, 4_000_000),
           ("Chiết xuất từ dược liệu trồng tại {area} theo quy trình GACP.",
            "Sản phẩm không phải là thuốc, không có tác dụng thay thế thuốc chữa bệnh.",
            "Sản phẩm của {seller}."), "bottle"),
    # ---- handicrafts ----------------------------------------------------------------
    Family("do-go", "Đồ gỗ mỹ nghệ", ("Sập thờ gỗ mít {brand}|chiếc", "Bàn ghế gỗ lát {brand}|bộ",
                                     "Kệ tivi gỗ {brand}|chiếc", "Đồng hồ gỗ {brand}|chiếc", "Tủ thờ gỗ gụ {brand}|chiếc",
                                     "Tranh gỗ {brand}|bức"),
           (("loại nhỏ", 1.0), ("loại vừa", 2.0), ("loại lớn", 4.0)), (("", "chiếc", 1.0),),
           (2_000_000, 12_000_000),
           ("Đóng thủ công tại làng nghề mộc {area}, gỗ được sấy chống cong vênh.",
            "Hoa văn chạm tay, sơn PU nhiều lớp, bền màu theo thời gian.",
            "Nhận làm theo kích thước riêng; giao và lắp đặt trong tỉnh.",
            "Sản phẩm của {seller}."), "chair", rural=True),
    Family("may-tre", "Mây tre đan", ("Ống hút tre {brand}|bộ", "Giỏ mây đan {brand}", "Khay tre đan {brand}",
                                     "Làn mây {brand}", "Đèn tre {brand}"),
           (("bộ 10 chiếc", 1.0), ("loại nhỏ", 1.0), ("loại lớn", 1.8)), (("", "chiếc", 1.0),),
           (40_000, 350_000),
           ("Đan tay từ tre, mây tự nhiên của {area}, xử lý chống mối mọt bằng cách luộc và hun khói.",
            "Thay thế đồ nhựa dùng một lần, thân thiện với môi trường.",
            "Sản phẩm của {seller}."), "basket", rural=True),
    Family("tho-cam", "Thổ cẩm, dệt may", ("Túi thổ cẩm Tày {brand}", "Khăn thổ cẩm {brand}", "Áo chàm {brand}"),
           (("loại nhỏ", 1.0), ("loại lớn", 1.6)), (("", "chiếc", 1.0),), (150_000, 900_000),
           ("Dệt tay trên khung cửi truyền thống của người Tày, Dao ở {area}.",
            "Nhuộm chàm tự nhiên, mỗi sản phẩm có hoa văn riêng.",
            "Sản phẩm của {seller}."), "weave", rural=True),
    # ---- ornamental ------------------------------------------------------------------
    Family("cay-canh", "Cây cảnh, bonsai", ("Bonsai chè cổ thụ {brand}", "Cây sanh dáng trực {brand}",
                                           "Cây duối cảnh {brand}"),
           (("cao 40 cm", 1.0), ("cao 60 cm", 2.0), ("cao 80 cm", 3.5)), (("chậu gốm", "chậu", 1.0),),
           (800_000, 3_000_000),
           ("Cây được thuần dưỡng nhiều năm tại vườn {area}, dáng thế tự nhiên.",
            "Giao kèm chậu, hướng dẫn chăm sóc và bảo hành cây sống 30 ngày.",
            "Sản phẩm của {seller}."), "plant"),
    Family("hoa-lan", "Hoa lan", ("Lan kim tuyến {brand}", "Lan hài {brand}", "Lan phi điệp {brand}"),
           (("1 giò", 1.0), ("3 giò", 2.7)), (("", "chậu", 1.0),), (250_000, 900_000),
           ("Lan được nhân giống và chăm sóc trong nhà lưới tại {area}.",
            "Giò khỏe, sẵn nụ; giao kèm giá thể và hướng dẫn tưới.",
            "Sản phẩm của {seller}."), "flower"),
    # ---- tourism ---------------------------------------------------------------------
    Family("du-lich", "Du lịch cộng đồng", ("Trải nghiệm hái và sao chè {brand}", "Homestay bản làng {brand}",
                                           "Tour văn hóa Tày {brand}", "Ẩm thực bản địa {brand}"),
           (("1 ngày", 1.0, "ngày"), ("2 ngày 1 đêm", 1.8, "tour 2 ngày 1 đêm")), (("", "người/{size}", 1.0),),
           (150_000, 500_000),
           ("Khách được cùng người dân {area} hái chè, sao chè và thưởng trà bên đồi.",
            "Giá gồm hướng dẫn viên địa phương, bữa trưa và nước uống.",
            "Nhận đoàn từ 2 đến 40 khách; đặt trước ít nhất 2 ngày.",
            "Do {seller} tổ chức."), "house"),
    Family("sinh-thai", "Điểm du lịch sinh thái", ("Vé tham quan khu sinh thái {brand}", "Cắm trại đồi chè {brand}"),
           (("1 ngày", 1.0, "ngày"),), (("", "người/{size}", 1.0),), (50_000, 250_000),
           ("Không gian xanh giữa đồi chè và suối của {area}, có khu cắm trại và chèo thuyền.",
            "Phù hợp gia đình, nhóm bạn, học sinh trải nghiệm cuối tuần.",
            "Do {seller} quản lý."), "house"),
    # ---- machinery (non-OCOP) --------------------------------------------------------
    Family("may-che", "Máy chế biến chè, nông sản", ("Máy vò chè inox {brand}", "Máy sao chè tôn quay {brand}",
                                                    "Máy sấy nông sản {brand}", "Máy thái chè {brand}"),
           (("loại 30 kg/mẻ", 1.0), ("loại 50 kg/mẻ", 1.4), ("loại 80 kg/mẻ", 1.9)), (("", "chiếc", 1.0),),
           (10_000_000, 28_000_000),
           ("Thân máy bằng inox 304, động cơ 3 pha, vận hành êm và dễ vệ sinh.",
            "Thiết kế theo nhu cầu của các hộ làm chè ở {area}, tiết kiệm nhân công.",
            "Bảo hành 12 tháng, có thợ kỹ thuật hỗ trợ tận nơi.",
            "Sản phẩm của {seller}."), "gear", rural=True, ocop=False),
    Family("phu-tung", "Phụ tùng, dụng cụ cơ khí", ("Bộ nhông đĩa xe máy {brand}|bộ", "Dao phát cỏ {brand}",
                                                   "Cuốc bàn rèn tay {brand}", "Lưỡi cày {brand}"),
           (("loại thường", 1.0), ("loại tốt", 1.5)), (("", "chiếc", 1.0),), (80_000, 600_000),
           ("Rèn, tôi và gia công cơ khí tại xưởng ở {area}, thép chịu mài mòn.",
            "Kích thước chuẩn, lắp vừa các dòng phổ biến trên thị trường.",
            "Sản phẩm của {seller}."), "gear", rural=True, ocop=False),
)

FAMILY_BY_KEY = {f.key: f for f in FAMILIES}

GENERIC_SENTENCES = (
    "Giao hàng toàn quốc; trong tỉnh nhận hàng trong ngày.",
    "Có xuất hóa đơn và tem truy xuất nguồn gốc.",
    "Nhận đặt số lượng lớn cho cửa hàng đặc sản và quà tặng doanh nghiệp.",
    "Liên hệ trực tiếp để được tư vấn và báo giá sỉ.",
)


# --------------------------------------------------------------------------------------
# Sellers: trades (what a seller makes), naming parts, and the real producers.
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trade:
    key: str
    words: tuple[str, ...]  # trade word in the seller name: "HTX chè …"
    families: tuple[tuple[str, int], ...]  # (family key, weight)
    share: int  # weight among generated sellers
    districts: tuple[str, ...]  # where such sellers are


TN_TEA = ("tp-thai-nguyen", "dai-tu", "dong-hy", "phu-luong", "dinh-hoa", "tp-pho-yen", "vo-nhai", "tp-song-cong")
BK = ("tp-bac-kan", "ba-be", "bach-thong", "cho-don", "cho-moi", "na-ri", "ngan-son", "pac-nam")

TRADES: tuple[Trade, ...] = (
    Trade("che", ("chè", "trà", "chè sạch", "chè an toàn", "trà xanh"),
          (("moc-cau", 10), ("che-bup", 6), ("che-dinh", 4), ("non-tom", 4), ("tui-loc", 2), ("uop-hoa", 2),
           ("hong-tra", 1), ("keo-che", 1)), 40, TN_TEA),
    Trade("nong-san", ("nông sản", "nông lâm sản", "sản xuất và dịch vụ nông nghiệp"),
          (("gao-nep", 4), ("mang-nam", 4), ("trai-cay", 3), ("mat-ong", 2), ("bun-pho", 1)), 12, BK + TN_TEA),
    Trade("mien", ("miến dong", "miến", "bún khô"), (("mien-dong", 5), ("bun-pho", 3)), 7,
          ("na-ri", "ba-be", "cho-don", "dong-hy", "bach-thong", "ngan-son")),
    Trade("mat-ong", ("mật ong", "nuôi ong"), (("mat-ong", 6), ("tinh-bot-nghe", 1)), 5,
          ("dong-hy", "vo-nhai", "ba-be", "na-ri", "dai-tu", "phu-luong")),
    Trade("duoc-lieu", ("dược liệu", "thảo dược"), (("tra-thao-duoc", 4), ("tinh-bot-nghe", 3), ("duoc-pham", 1)), 6,
          BK + ("vo-nhai", "dinh-hoa")),
    Trade("ruou", ("rượu men lá", "rượu truyền thống"), (("ruou", 5), ("giam-nuoc", 1)), 5, BK + ("dinh-hoa", "vo-nhai")),
    Trade("thuc-pham", ("thực phẩm", "đặc sản"), (("thit", 4), ("tuong-gia-vi", 3), ("keo-che", 1)), 7,
          BK + ("dinh-hoa", "tp-thai-nguyen", "phu-binh")),
    Trade("trai-cay", ("cây ăn quả", "trái cây"), (("trai-cay", 5),), 5, BK + ("dong-hy", "phu-binh", "dai-tu")),
    Trade("moc", ("mộc", "đồ gỗ"), (("do-go", 5),), 4, ("phu-binh", "tp-pho-yen", "tp-song-cong")),
    Trade("may-tre", ("mây tre đan", "thủ công mỹ nghệ", "thổ cẩm"), (("may-tre", 3), ("tho-cam", 2)), 3,
          ("dinh-hoa", "ba-be", "phu-luong", "vo-nhai")),
    Trade("cay-canh", ("sinh vật cảnh", "hoa lan"), (("cay-canh", 2), ("hoa-lan", 2)), 2,
          ("tp-thai-nguyen", "dai-tu", "tp-pho-yen")),
    Trade("du-lich", ("du lịch cộng đồng", "du lịch sinh thái"), (("du-lich", 3), ("sinh-thai", 1)), 2,
          ("tp-thai-nguyen", "dinh-hoa", "ba-be", "dai-tu")),
    Trade("co-khi", ("cơ khí", "cơ khí nông nghiệp"), (("may-che", 3), ("phu-tung", 2)), 2,
          ("tp-song-cong", "tp-pho-yen", "tp-thai-nguyen", "phu-binh")),
)

TRADE_BY_KEY = {t.key: t for t in TRADES}

# (kind, legal prefix, weight): about a third HTX, a fifth companies, two fifths
# households, the rest cooperative groups (a cooperative kind).
SELLER_FORMS: tuple[tuple[str, str, int], ...] = (
    ("cooperative", "HTX", 33),
    ("enterprise", "Công ty TNHH", 13),
    ("enterprise", "Công ty CP", 7),
    ("household", "Hộ kinh doanh", 40),
    ("cooperative", "Tổ hợp tác", 7),
)

# Brand names for generated sellers: family-style given names and local place names.
BRAND_NAMES: tuple[str, ...] = (
    "An Khang", "Bảo An", "Bình Minh", "Cao Sơn", "Đức Thịnh", "Gia Bảo", "Hà Phương", "Hải Yến",
    "Hoàng Gia", "Hồng Phúc", "Hùng Cường", "Hương Trà", "Khánh Linh", "Kim Ngân", "Lan Anh", "Minh Châu",
    "Minh Khôi", "Mỹ Hạnh", "Ngọc Lan", "Ngọc Thúy", "Nhật Minh", "Phú Cường", "Phúc An", "Phương Nam",
    "Quang Huy", "Quốc Tuấn", "Sơn Hà", "Tâm Đức", "Thái Bình", "Thanh Hương", "Thành Đạt", "Thảo Nguyên",
    "Thu Hà", "Thuận Phát", "Tiến Thành", "Trung Kiên", "Trường Sơn", "Tuấn Anh", "Tùng Lâm", "Vân Anh",
    "Việt Hưng", "Xuân Mai", "Yến Nhi", "Đông Phong", "Bích Ngọc", "Hòa Bình", "Hưng Thịnh", "Lộc Phát",
    "Mạnh Hùng", "Nam Phong", "Phát Đạt", "Quế Lâm", "Sao Mai", "Tân Tiến", "Thịnh Vượng", "Trà Xanh",
    "Đồi Chè", "Sương Sớm", "Núi Cốc", "Hồ Núi Cốc", "Suối Cát", "Bản Quyền", "Khe Cốc", "Làng Chè",
    "La Bằng", "Hoàng Nông", "Phú Đô", "Tiên Hội", "Lâm Sơn", "Hà Thượng", "Ba Bể Xanh", "Nà Phặc",
    "Bằng Vân", "Cao Kỳ", "Hòa Mục", "Nà Hang", "Pò Lùng", "Khuổi Nà", "Nặm Cắt", "Quảng Chu",
)

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Ma", "Nông", "Lưu", "Đặng", "Triệu", "Lý", "Hà", "Dương", "Bế")
GIVEN = ("Văn Hùng", "Thị Hoa", "Văn Thắng", "Thị Lan", "Đức Minh", "Thị Hằng", "Văn Long", "Thị Thu",
         "Quang Vinh", "Thị Mai", "Văn Sơn", "Thị Nga", "Xuân Trường", "Thị Hương", "Văn Tuấn", "Thị Yến")

STORY_SENTENCES = (
    "{name} được thành lập năm {year} tại {area}, với {members} thành viên là các hộ sản xuất lâu năm.",
    "Chúng tôi giữ cách làm truyền thống của quê hương và áp dụng quy trình sản xuất an toàn, có nhật ký canh tác.",
    "Vùng nguyên liệu của {name} rộng khoảng {hectares} ha, được chứng nhận VietGAP.",
    "Sản phẩm đã có mặt tại các hội chợ xúc tiến thương mại trong và ngoài tỉnh.",
    "Đại diện: ông/bà {person}. Rất mong được hợp tác với các cửa hàng, đại lý và khách hàng gần xa.",
    "Mỗi lô hàng đều có tem truy xuất nguồn gốc và được kiểm soát chất lượng trước khi giao.",
)

STREETS = ("xóm", "thôn", "bản", "tổ dân phố")
HAMLETS = ("Nam Đồng", "Đồng Kiệm", "Hồng Thái", "Soi Mít", "Khuôn Ngục", "Bản Cái", "Nà Rạo", "Đồng Tâm",
           "Làng Mới", "Cây Thị", "Gốc Gạo", "Đồng Tiến", "Phố Cũ", "Khe Vàng", "Nà Tùm", "Cốc Lùng")

MOBILE_PREFIXES = ("091", "094", "098", "097", "096", "086", "088", "083", "084", "085", "081", "070", "079",
                   "077", "076", "090", "093", "089", "032", "033", "034", "035", "036", "037", "038", "039")


@dataclass(frozen=True)
class RealProduct:
    name: str
    family: str  # family key for unit, price and description
    stars: int | None = None  # 5★ and named 4★ certificates
    rural_national: bool = False  # one of the five national ones of 2023
    size: int = 1  # index into the family's sizes


@dataclass(frozen=True)
class Producer:
    name: str
    kind: str
    brand: str
    trade: str
    area: str  # area name
    products: tuple[RealProduct, ...] = field(default_factory=tuple)
    website: str = ""


PRODUCERS: tuple[Producer, ...] = (
    Producer("HTX chè Hảo Đạt", "cooperative", "Hảo Đạt", "che", "xã Tân Cương", (
        RealProduct("Chè tôm nõn Hảo Đạt", "non-tom", stars=5),
        RealProduct("Chè đinh Tân Cương Hảo Đạt", "che-dinh", stars=5),
        RealProduct("Chè móc câu Hảo Đạt", "moc-cau", stars=4, rural_national=True),
        RealProduct("Kẹo lạc chè xanh Hảo Đạt", "keo-che"),
    )),
    Producer("HTX Nông sản Phú Lương", "cooperative", "hương quê", "che", "xã Phú Lương", (
        RealProduct("Trà tôm nõn hương quê", "non-tom", stars=5),
        RealProduct("Trà mầm sương sớm hương quê", "che-bup", stars=4),
        RealProduct("Trà móc câu hương quê", "moc-cau", stars=4),
    )),
    Producer("HTX chè sạch Đạt Phát", "cooperative", "Đạt Phát", "che", "xã Tân Cương", (
        RealProduct("Trà móc câu Đạt Phát", "moc-cau"),
        RealProduct("Trà đinh Đạt Phát", "che-dinh"),
    )),
    Producer("HTX chè Công Tâm Minh Đức", "cooperative", "Minh Đức", "che", "xã Minh Đức", (
        RealProduct("Trà móc câu Minh Đức", "moc-cau"),
    )),
    Producer("HTX trà Sơn Dung", "cooperative", "Sơn Dung", "che", "xã Tân Cương", (
        RealProduct("Độc đáo trà ướp hoa", "uop-hoa"),
        RealProduct("Vạn lộc trà", "che-dinh", stars=4, rural_national=True),
    )),
    Producer("HTX chè an toàn Nguyên Việt", "cooperative", "Nguyên Việt", "che", "xã Trại Cau", (
        RealProduct("Nhất diệp hảo trà", "che-dinh", stars=4, rural_national=True),
        RealProduct("Trà xanh túi lọc Nguyên Việt", "tui-loc"),
    )),
    Producer("HTX chè Tuyết Hương", "cooperative", "Tuyết Hương", "che", "xã Trại Cau", (
        RealProduct("Hương sơn trà", "non-tom", stars=4, rural_national=True),
    )),
    Producer("HTX trà Minh Đeng", "cooperative", "Minh Đeng", "che", "xã Trại Cau", (
        RealProduct("Nõn chè xanh Trại Cài", "non-tom"),
    )),
    Producer("HTX BKQ Organic", "cooperative", "BKQ Organic", "che", "xã Văn Hán", (
        RealProduct("Hồng Đỉnh trà", "hong-tra"),
    )),
    Producer("Công ty TNTea", "enterprise", "TNTea", "che", "phường Quyết Thắng", (
        RealProduct("Trà TN GABA", "hong-tra"),
    )),
    Producer("HTX trà xanh Thái Nguyên", "cooperative", "Bảo Ngọc", "che", "phường Phan Đình Phùng", (
        RealProduct("Bảo Ngọc Trà", "che-dinh"),
    )),
    Producer("HTX chè Thủy Thuật", "cooperative", "Thủy Thuật", "che", "xã Đại Phúc", (
        RealProduct("Nhất Tâm Trà", "che-dinh"),
    )),
    Producer("HTX chè Kim Thoa", "cooperative", "Kim Thoa", "che", "xã Đại Phúc", (
        RealProduct("Đinh Đinh Trà", "che-dinh"),
    )),
    Producer("Công ty CP Nông sản Thái Nguyên", "enterprise", "Trung du", "che", "phường Tích Lương", (
        RealProduct("Ngũ trà túi lọc", "tui-loc"),
        RealProduct("Trung du trà", "moc-cau"),
    )),
    Producer("Công ty CP chè Tân Cương Hoàng Bình", "enterprise", "Hoàng Bình", "che", "xã Tân Cương", (
        RealProduct("Ngân long trà song ẩm", "che-dinh"),
        RealProduct("Chè búp Tân Cương đặc biệt", "che-bup"),
    )),
    Producer("Công ty Hà Diệp", "enterprise", "Hà Diệp", "duoc-lieu", "phường Bắc Kạn", (
        RealProduct("Trà Shan tuyết Ngọc Thắng", "hong-tra"),
        RealProduct("Trà hoa vàng Bắc Kạn", "tra-thao-duoc"),
        RealProduct("Trà nụ vối", "tra-thao-duoc"),
    )),
    Producer("HTX miến Việt Cường", "cooperative", "Việt Cường", "mien", "xã Đồng Hỷ", (
        RealProduct("Miến dong Việt Cường", "mien-dong", stars=5),
        RealProduct("Miến tỏi đen Việt Cường", "mien-dong", rural_national=True),
    )),
    Producer("Cơ sở miến dong Tài Hoan", "household", "Tài Hoan", "mien", "xã Na Rì", (
        RealProduct("Miến dong Tài Hoan", "mien-dong", stars=5),
    )),
    Producer("HTX nông sản Trại Cau", "cooperative", "Trại Cau", "nong-san", "xã Trại Cau", (
        RealProduct("Măng khô lục trúc Trại Cau", "mang-nam"),
        RealProduct("Măng tươi lục trúc Trại Cau", "mang-nam", size=3),
    )),
    Producer("HTX mật ong Phúc Thành", "cooperative", "Phúc Thành", "mat-ong", "xã Đồng Hỷ", (
        RealProduct("Mật ong Phúc Thành", "mat-ong"),
    )),
    Producer("HTX nấm Phú Gia", "cooperative", "Phú Gia", "nong-san", "xã Đại Phúc", (
        RealProduct("Nấm hương Phú Gia", "mang-nam", stars=4),
    )),
    Producer("Hộ kinh doanh Tuyến Loan", "household", "Tuyến Loan", "thuc-pham", "xã Định Hóa", (
        RealProduct("Tương nếp Tuyến Loan", "tuong-gia-vi"),
    )),
    Producer("Hộ kinh doanh Tiến Diện", "household", "Tiến Diện", "mien", "phường Linh Sơn", (
        RealProduct("Mỳ phở Tiến Diện", "bun-pho"),
        RealProduct("Bún khô Tiến Diện", "bun-pho"),
    )),
    Producer("HTX Tân Thành", "cooperative", "Tân Thành", "duoc-lieu", "phường Bắc Kạn", (
        RealProduct("Tinh bột nghệ nếp đỏ Tân Thành", "tinh-bot-nghe"),
        RealProduct("Tinh bột nghệ nếp đen Tân Thành", "tinh-bot-nghe"),
    )),
    Producer("HTX rượu men lá Bằng Phúc", "cooperative", "Bằng Phúc", "ruou", "xã Chợ Đồn", (
        RealProduct("Rượu men lá Bằng Phúc", "ruou"),
    )),
    Producer("HTX Tân Dân", "cooperative", "Tân Dân", "ruou", "xã Chợ Mới", (
        RealProduct("Rượu chuối men lá Tân Dân", "ruou"),
        RealProduct("Giấm chuối Tân Dân", "giam-nuoc"),
    )),
    Producer("Công ty CP Vicumax", "enterprise", "Vicumax", "duoc-lieu", "phường Đức Xuân", (
        RealProduct("Vicumax Nano Curcumin", "duoc-pham"),
        RealProduct("Trà giảo cổ lam núi đá", "tra-thao-duoc"),
    )),
    Producer("Khu bảo tồn bản làng Tày Thái Hải", "enterprise", "Thái Hải", "du-lich", "xã Tân Cương", (
        RealProduct("Du lịch văn hóa dân tộc Tày bản làng Thái Hải", "du-lich", stars=5),
    )),
    Producer("Hộ kinh doanh mộc Phương Độ", "household", "Phương Độ", "moc", "xã Phú Bình", (
        RealProduct("Sập thờ gỗ mít Phương Độ", "do-go", size=2),
        RealProduct("Đồng hồ gỗ Phương Độ", "do-go", size=0),
    )),
    Producer("Công ty TNHH cơ khí Gang Thép", "enterprise", "Gang Thép", "co-khi", "phường Tích Lương", (
        RealProduct("Máy vò chè inox Gang Thép", "may-che"),
        RealProduct("Bộ nhông đĩa xe máy Gang Thép", "phu-tung"),
    )),
)

# Statuses for the products that must stay invisible (none of them counts as public).
HIDDEN_STATUSES = ("draft", "pending", "rejected", "archived")
