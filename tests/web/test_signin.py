"""Every page signs in through its own form, refuses a terminal whose role
may not use it, and is accessible before and after."""

from selenium.webdriver.common.by import By

from harness import PageTest

PAGES = {"/kiosk": "K01", "/display": "D01", "/counter": "T01", "/supervisor": "S01"}


class SignIn(PageTest):
    def test_index_lists_the_four_pages(self):
        b = self.open("/")
        for name in ("取号机", "叫号屏", "柜台", "主管"):
            self.see(b, name)
        self.check_accessibility(b)

    def test_each_page_signs_in_through_its_form(self):
        for path, terminal in PAGES.items():
            with self.subTest(page=path):
                b = self.open(path)
                self.check_accessibility(b)
                self.sign_in(b, terminal)
                self.wait(b, lambda d: d.find_element(By.TAG_NAME, "main").is_displayed(),
                          "the page after sign-in")
                self.check_accessibility(b)

    def test_a_wrong_token_is_refused_and_said(self):
        b = self.open("/counter")
        form = self.wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, "form.signin"),
                         "the sign-in form")[0]
        form.find_element(By.NAME, "terminal").send_keys("T01")
        form.find_element(By.NAME, "token").send_keys("not-the-token")
        self.click(b, "登录")
        self.see(b, "终端编号或令牌不正确")
        # a failed sign-in is a 401 the browser logs as a failed resource
        self.allow_console.append(r"api/v1/session - Failed to load resource.*401")

    def test_a_terminal_of_another_role_is_told_so(self):
        b = self.open("/supervisor")
        self.sign_in(b, "T01")
        self.see(b, "不能使用本页面")
        self.click(b, "退出登录")
        self.wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, "form.signin"),
                  "the sign-in form again")
